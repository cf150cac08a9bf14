import { createInterface } from 'node:readline';
import { ConnectionError, ErrorCode } from '../errors.js';
import type { CliContext } from './cli-context.js';
import { usage } from './usage-error.js';

/** Whether the command can ask its user: stdin and stderr (where the question goes) are a terminal. */
export function canAsk(cli: CliContext): boolean {
  return (cli.stdin as { isTTY?: boolean }).isTTY === true && cli.stderr.isTTY === true;
}

/**
 * Checks, before anything is read, that a command which changes the queues
 * may ask for a confirmation: `--yes`, `--dry-run` or a terminal; otherwise a
 * usage error (exit 2), since a script must say `--yes` itself.
 */
export function requireConsent(cli: CliContext, flags: { readonly yes?: boolean; readonly dryRun?: boolean }, command: string): boolean {
  const ask = flags.yes !== true && flags.dryRun !== true;
  if (ask && !canAsk(cli))
    usage(`${command} changes the queues: add --yes to go ahead, or --dry-run to see what it would touch (no terminal to ask on)`);
  return ask;
}

/**
 * Asks `question` on stderr and reads the answer from stdin: only "y" or
 * "yes" goes ahead; anything else (an empty line, Ctrl-D) stops the command
 * with exit 1, nothing changed.
 * @throws {ConnectionError} `CLOSED` when the answer is not yes.
 */
export async function confirm(cli: CliContext, question: string): Promise<void> {
  cli.stderr.write(`${question} [y/N] `);
  const lines = createInterface({ input: cli.stdin, crlfDelay: Infinity, terminal: false });
  let answer = '';
  for await (const line of lines) {
    answer = line;
    break;
  }
  lines.close();
  if (!/^\s*y(es)?\s*$/i.test(answer)) throw new ConnectionError(ErrorCode.CLOSED, 'not confirmed: nothing changed');
}
