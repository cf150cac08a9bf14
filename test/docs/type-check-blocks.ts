/**
 * One tsc process over every doc block (one tsconfig: starting tsc once per
 * block would cost its start-up and src/'s check each time). The result says,
 * per block, what tsc reported in it, at the markdown file and line.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { DocBlock } from '../support/doc-snippets.js';
import { blockWorkspace } from './block-workspace.js';

export interface TypeCheckResult {
  /** The errors in each block, as `docs/x.md:LINE: error TS2304: ...`. */
  errorsOf(block: DocBlock): string[];
  /** Errors outside any block (in src/, or a bad tsconfig): the blocks' results mean nothing then. */
  elsewhere: string[];
}

const run = promisify(execFile);

export async function typeCheckBlocks(root: string, blocks: readonly DocBlock[], timeoutMs: number): Promise<TypeCheckResult> {
  const workspace = blockWorkspace(root, 'check', blocks);
  try {
    const output = await tsc(root, workspace.tsconfig, timeoutMs);
    const perBlock = new Map<DocBlock, string[]>();
    const elsewhere: string[] = [];
    for (const { file, text } of parseDiagnostics(output)) {
      const block = file === undefined ? undefined : workspace.blockOf(resolve(root, file));
      const message = workspace.toMarkdown(text);
      if (block === undefined) elsewhere.push(message);
      else perBlock.set(block, [...(perBlock.get(block) ?? []), message]);
    }
    return { errorsOf: (block) => perBlock.get(block) ?? [], elsewhere };
  } finally {
    workspace.remove();
  }
}

/** tsc's output: empty when everything compiles. */
async function tsc(root: string, tsconfig: string, timeoutMs: number): Promise<string> {
  const bin = join(root, 'node_modules', '.bin', 'tsc');
  try {
    await run(bin, ['--noEmit', '--pretty', 'false', '-p', tsconfig], {
      cwd: root,
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 16 * 1024 * 1024,
    });
    return '';
  } catch (error) {
    const e = error as { killed?: boolean; stdout?: unknown };
    if (e.killed === true) throw new Error(`tsc did not type-check the doc blocks within ${timeoutMs / 1000} s`, { cause: error });
    const stdout = typeof e.stdout === 'string' ? e.stdout : '';
    if (stdout.trim() === '') throw error; // tsc did not run at all
    return stdout;
  }
}

/** `path(line,col): error TS1234: text`, its continuation lines indented below it. */
function parseDiagnostics(output: string): { file: string | undefined; text: string }[] {
  const diagnostics: { file: string | undefined; text: string }[] = [];
  for (const line of output.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const located = /^(.+?)\(\d+,\d+\): /.exec(line);
    const previous = diagnostics.at(-1);
    if (located !== null) diagnostics.push({ file: located[1], text: line });
    else if (/^\s/.test(line) && previous !== undefined) previous.text += `\n${line}`;
    else diagnostics.push({ file: undefined, text: line });
  }
  return diagnostics;
}
