#!/usr/bin/env node
/**
 * The `rx-pubsub` command (package.json `bin`, also as `rx-pubsub-amqp`, so
 * that `npx rx-pubsub-amqp` finds it): see `rx-pubsub --help`, and
 * the README's "The rx-pubsub command".
 */
import { processContext } from './cli-context.js';
import { runProgram } from './program.js';

// `rx-pubsub tail | head -3`: a reader that goes away ends the command, quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await runProgram(process.argv.slice(2), processContext());
process.exitCode = code;
// A command is done here; whatever still holds the event loop (a socket a broker never closed) must not keep it running.
setTimeout(() => process.exit(code), 1_000).unref();
