/**
 * The `rx-pubsub` command as a child process, run from its source:
 * `node --import tsx src/cli/main.ts ...`. One process (not the `tsx` binary,
 * which runs the script in a second one), so a signal reaches the CLI itself
 * and a kill on timeout leaves no orphan behind. Colours are off (NO_COLOR,
 * and stdout is a pipe). Every process a test starts is killed when the test
 * finishes, if it still runs.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { teardown } from './broker.js';
import { waitFor } from './wait-for.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Starting tsx on a loaded machine takes seconds. */
const DEFAULT_TIMEOUT_MS = 15_000;

export interface CliOptions {
  /** Variables added to (or, with undefined, removed from) the test's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Written to stdin, which is then closed; without it stdin is closed at once. */
  readonly input?: string;
  /** The process is killed (SIGKILL) past this. @default 15000 */
  readonly timeoutMs?: number;
}

export interface CliResult {
  /** The exit code, or null when a signal ended it. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A CLI process still running: its output so far, and how to stop it. */
export interface RunningCli {
  readonly pid: number | undefined;
  stdout(): string;
  stderr(): string;
  /** Waits until stdout (or stderr) matches. */
  waitForOutput(pattern: RegExp, where?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpExecArray>;
  /** Sends `signal` (as Ctrl-C does: SIGINT) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
  /** Resolves when it exits by itself. */
  readonly exited: Promise<CliResult>;
}

/** Runs `rx-pubsub <args>` to its end. */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).exited;
}

/** Starts `rx-pubsub <args>`; killed at the end of the test, or past `timeoutMs`. */
export function startCli(args: readonly string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: REPO_ROOT, env: environment(options.env) });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.input);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const exited = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rx-pubsub ${args.join(' ')} still ran after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  exited.catch(() => {}); // read by the test through exited or stop(); never unhandled
  teardown(() => killIfRunning(child));
  return {
    pid: child.pid,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForOutput: async (pattern, where = 'stdout', waitMs = timeoutMs) => {
      let match: RegExpExecArray | null = null;
      await waitFor(() => (match = pattern.exec(where === 'stdout' ? stdout : stderr)) !== null, {
        timeoutMs: waitMs,
        description: `${where} of rx-pubsub ${args.join(' ')} to match ${pattern} (stdout: ${stdout}; stderr: ${stderr})`,
      });
      return match as unknown as RegExpExecArray;
    },
    stop: (signal = 'SIGINT') => {
      child.kill(signal);
      return exited;
    },
    exited,
  };
}

function environment(overrides: CliOptions['env'] = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...overrides };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

function killIfRunning(child: ChildProcessWithoutNullStreams): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
