/**
 * A scratch directory holding doc blocks as .ts files, with the tsconfig that
 * compiles (tsc) and runs (tsx) them as a user's code: the package's names
 * resolve to src/. Output that names a block file is rewritten to the
 * block's markdown file and line, for the human reading a failure.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { DocBlock } from '../support/doc-snippets.js';

/** The import names a doc block may use, and the source each one means. */
const PACKAGE_ENTRIES: Record<string, string> = {
  '': 'src/index.ts',
  '/testing': 'src/testing/index.ts',
  '/blocks': 'src/blocks.ts',
};
const PACKAGE_NAMES = ['rx-pubsub-amqp'];

export interface BlockWorkspace {
  dir: string;
  tsconfig: string;
  /** The .ts file that holds `block`. */
  fileOf(block: DocBlock): string;
  /** The block in `file`, if it is one of this workspace's. */
  blockOf(file: string): DocBlock | undefined;
  /** `text` with every `block-N.ts:LINE` / `block-N.ts(LINE,COL)` as `docs/x.md:LINE`. */
  toMarkdown(text: string): string;
  remove(): void;
}

/**
 * Writes `blocks` under `<root>/test/.doc-<kind>-<random>/`: a dot directory
 * (the project's own `tsc -p .` never picks it up) inside the repository (so
 * `rxjs` and @types/node resolve from its node_modules), of its own per
 * caller (test files run side by side).
 */
export function blockWorkspace(root: string, kind: string, blocks: readonly DocBlock[]): BlockWorkspace {
  const dir = join(root, 'test', `.doc-${kind}-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const toRoot = relative(dir, root);
  const paths: Record<string, string[]> = {};
  for (const name of PACKAGE_NAMES) {
    for (const [suffix, source] of Object.entries(PACKAGE_ENTRIES)) paths[name + suffix] = [`${toRoot}/${source}`];
  }
  const tsconfig = join(dir, 'tsconfig.json');
  const config = {
    extends: `${toRoot}/tsconfig.json`,
    compilerOptions: { noEmit: true, moduleDetection: 'force', paths },
    include: ['block-*.ts'],
  };
  writeFileSync(tsconfig, `${JSON.stringify(config, null, 2)}\n`);
  const files = blocks.map((block, index) => {
    const file = join(dir, `block-${index + 1}.ts`);
    writeFileSync(file, `${block.code}\n`);
    return file;
  });
  const byFile = new Map(files.map((file, index) => [file, blocks[index]]));
  const byBlock = new Map(blocks.map((block, index) => [block, files[index]]));
  const location = /(?:file:\/\/)?[^\s()'"]*\.doc-[\w-]+\/block-(\d+)\.ts(?::(\d+)(?::\d+)?|\((\d+),\d+\))?/g;
  return {
    dir,
    tsconfig,
    fileOf: (block) => {
      const file = byBlock.get(block);
      if (file === undefined) throw new Error(`${block.name} is not in ${dir}`);
      return file;
    },
    blockOf: (file) => byFile.get(file),
    toMarkdown: (text) =>
      text.replace(location, (whole, index: string, colonLine?: string, parenLine?: string) => {
        const block = blocks[Number(index) - 1];
        if (block === undefined) return whole;
        const line = colonLine ?? parenLine;
        return line === undefined ? block.file : `${block.file}:${block.fenceLine + Number(line)}`;
      }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
