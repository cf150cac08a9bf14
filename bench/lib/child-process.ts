import { fork } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type ChildMessage, CLOSED_PREFIX, type Job, type Result, RESULT_PREFIX, type RunnerMessage } from './job.js';

/**
 * Bundles `child.ts` to plain JavaScript in `benchDir/.build`: children run
 * without a TypeScript loader, which would add ~40 MB to every RSS figure.
 * Returns the script to fork.
 */
export async function buildChild(benchDir: string): Promise<string> {
  const outdir = join(benchDir, '.build');
  await rm(outdir, { recursive: true, force: true });
  await build({
    entryPoints: [join(benchDir, 'child.ts')], outdir, outExtension: { '.js': '.mjs' },
    bundle: true, splitting: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning',
  });
  return join(outdir, 'child.mjs');
}

/** A running child: its figures once it exited, and the IPC channel to it. */
export interface Child {
  /**
   * The `BENCH_RESULT` line it printed, with a note when closing failed after
   * it; rejects when it exited without one or ran past the timeout (it is
   * killed then).
   */
  readonly result: Promise<Result>;
  send(message: RunnerMessage): void;
  kill(): void;
}

/** Forks `script` with `job`; `onMessage` gets what the child says over IPC (`ready`, `progress`). */
export function startChild(script: string, job: Job, timeoutMs: number, onMessage: (message: ChildMessage) => void): Child {
  const proc = fork(script, [JSON.stringify(job)], { execArgv: [], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const result = new Promise<Result>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`timed out after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    proc.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    proc.on('message', onMessage);
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      const lines = stdout.split('\n');
      const line = lines.find((l) => l.startsWith(RESULT_PREFIX));
      if (!line) return reject(new Error(`exited with ${signal ?? `code ${code}`} and no result`));
      const measured = JSON.parse(line.slice(RESULT_PREFIX.length)) as Result;
      const closed = lines.find((l) => l.startsWith(CLOSED_PREFIX));
      const closeError = closed
        ? (JSON.parse(closed.slice(CLOSED_PREFIX.length)) as { error?: string }).error
        : `exited with ${signal ?? `code ${code}`} while closing`;
      resolve(closeError ? { ...measured, note: [measured.note, closeError].filter(Boolean).join('; ') } : measured);
    });
  });
  return {
    result,
    send: (message) => {
      if (proc.connected) proc.send(message);
    },
    kill: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}
