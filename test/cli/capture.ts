/** A CliContext over strings, to run the program in-process (help text, argument errors, pure output). */
import { Readable } from 'node:stream';
import type { CliContext } from '../../src/cli/cli-context.js';
import { runProgram } from '../../src/cli/program.js';

export interface Captured {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `rx-pubsub <args>` in this process, stdout not a terminal, with `env` only (no AMQP_URL unless given). */
export async function runInProcess(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const cli: CliContext = {
    env,
    cwd: process.cwd(),
    stdin: Readable.from([]),
    stdout: { write: (text: string) => (stdout += text), isTTY: false },
    stderr: { write: (text: string) => (stderr += text) },
    stopRequested: () => new Promise(() => {}),
  };
  const code = await runProgram(args, cli);
  return { code, stdout, stderr };
}
