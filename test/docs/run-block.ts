/**
 * Runs one doc block as its own Node process (tsx, the workspace's tsconfig:
 * the package's names resolve to src/), with a deadline. The block passes when
 * it exits 0 in time; a throw, a non-zero exit or a hang (a bus left open)
 * fails it, with its output, block files named as markdown lines.
 */
import { spawn } from 'node:child_process';
import type { DocBlock } from '../support/doc-snippets.js';
import type { BlockWorkspace } from './block-workspace.js';

export interface RunOutcome {
  ok: boolean;
  /** Why it failed, with its stdout and stderr; on success, its output. */
  report: string;
}

/** Output kept per stream: a block that loops on console.log must not fill the test's memory. */
const MAX_OUTPUT = 64 * 1024;

export function runBlock(
  root: string,
  workspace: BlockWorkspace,
  block: DocBlock,
  options: { env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<RunOutcome> {
  const file = workspace.fileOf(block);
  return new Promise((resolve) => {
    // A process group of its own (detached): a deadline kills the block and anything it started.
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...options.env, TSX_TSCONFIG_PATH: workspace.tsconfig },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout = (stdout + chunk.toString()).slice(-MAX_OUTPUT)));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-MAX_OUTPUT)));
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, options.timeoutMs);
    const finish = (why: string | undefined): void => {
      clearTimeout(deadline);
      const where = `the \`\`\`ts run${block.run === 'broker' ? '=broker' : ''} block at ${block.file}:${block.fenceLine}`;
      const output = workspace.toMarkdown(`stdout:\n${stdout}\nstderr:\n${stderr}`);
      resolve(why === undefined ? { ok: true, report: output } : { ok: false, report: `${where} ${why}\n${output}` });
    };
    child.on('error', (error) => finish(`could not start: ${error.message}`));
    child.on('close', (code, signal) => {
      killGroup(child.pid); // what the block started and left behind
      if (timedOut) finish(`did not exit within ${options.timeoutMs / 1000} s (killed): a handle left open, or too slow`);
      else if (code !== 0) finish(`exited with ${code ?? signal ?? 'nothing'}`);
      else finish(undefined);
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** `task`s run at most `limit` at a time, in the order they were given. */
export function boundedPool(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= limit) await new Promise<void>((start) => waiting.push(start));
    else running++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next === undefined) running--;
      else next();
    }
  };
}
