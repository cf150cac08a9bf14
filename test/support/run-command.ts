/**
 * A command as a child process, for the tests that act as a user's shell
 * (build, pack, compile, run a project). A non-zero exit is an outcome to
 * assert on, not a throw; `show` puts all of it in a failure message.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface CommandOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` in `cwd` to its end; throws only when it did not run at all or outlived `timeoutMs`. */
export async function runCommand(command: string, args: readonly string[], cwd: string, timeoutMs = 90_000): Promise<CommandOutcome> {
  try {
    const { stdout, stderr } = await exec(command, args, { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: unknown; stderr?: unknown };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: String(e.stdout), stderr: String(e.stderr) };
  }
}

/** The whole outcome, for an assertion's message. */
export function show(outcome: CommandOutcome): string {
  return `exit ${outcome.code}\n${outcome.stdout}\n${outcome.stderr}`;
}

/** Runs `command` and returns its stdout; a non-zero exit throws with everything it printed. */
export async function commandOutput(command: string, args: readonly string[], cwd: string, timeoutMs?: number): Promise<string> {
  const outcome = await runCommand(command, args, cwd, timeoutMs);
  if (outcome.code !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${show(outcome)}`);
  return outcome.stdout;
}
