/**
 * The ```ts blocks of the markdown docs (README.md, docs/**\/*.md), for the
 * tests that type-check them (test/docs/docs-compile.test.ts) and run them
 * (test/docs/docs-run.test.ts). A block is named by its file and the nearest
 * heading above it, never by its line: an edit above a block renames nothing.
 *
 * The fence's info string says what a block is for:
 *   ```ts                          type-checked only (```typescript alike)
 *   ```ts ignore                   skipped
 *   ```ts run                      type-checked, then run on memory:// (no AMQP_URL)
 *   ```ts run=broker               type-checked, then run with AMQP_URL set to RabbitMQ
 *   ```ts run=broker fixture=NAME  ...after the fixture NAME (test/docs/run-fixtures.ts)
 *                                  prepared the broker; it checks the broker after
 * Any other attribute is an error of that block, named by file and heading.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** How a block is run: `memory` for ```ts run, `broker` for ```ts run=broker. */
export type BlockRun = 'memory' | 'broker';

export interface DocBlock {
  /** The markdown file, relative to the docs root (`docs/guide/handlers.md`). */
  file: string;
  /** Line of the opening fence (1-based): for messages only, never for names. */
  fenceLine: number;
  /** The nearest heading above the block, without its `#`s; the file's title before any. */
  heading: string;
  /** `file › heading`, with ` #2`, ` #3`... for later blocks under the same heading text. */
  name: string;
  code: string;
  ignore: boolean;
  run: BlockRun | undefined;
  fixture: string | undefined;
  /** What is wrong with the fence (unknown attribute...), each naming file, line and heading. */
  problems: string[];
}

const BEFORE_ANY_HEADING = '(before the first heading)';
const KNOWN = 'ignore, run, run=broker, fixture=NAME';

/** The ```ts / ```typescript blocks of one markdown text, ignored ones included. */
export function extractBlocks(markdown: string, file: string): { blocks: DocBlock[]; errors: string[] } {
  const lines = markdown.split(/\r?\n/);
  const blocks: DocBlock[] = [];
  const errors: string[] = [];
  const perHeading = new Map<string, number>();
  let heading = BEFORE_ANY_HEADING;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const title = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (title !== null) {
      heading = title[1] ?? '';
      continue;
    }
    // Any indentation: a fence in a nested list item is indented further, and must not be missed silently.
    const open = /^( *)(`{3,}|~{3,})\s*([^\s`]*)(.*)$/.exec(line);
    if (open === null) continue;
    const [, indent = '', fence = '', lang = '', info = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const inner = lines[j] ?? '';
      const close = /^ *(`{3,}|~{3,})\s*$/.exec(inner);
      if (close?.[1] !== undefined && close[1][0] === fence[0] && close[1].length >= fence.length) break;
      body.push(inner.startsWith(indent) ? inner.slice(indent.length) : inner.trimStart());
    }
    const where = `${file}:${i + 1} (under "${heading}")`;
    if (j === lines.length) errors.push(`${where}: the "${fence}${lang}" fence is never closed`);
    if (lang === 'ts' || lang === 'typescript') {
      const count = (perHeading.get(heading) ?? 0) + 1;
      perHeading.set(heading, count);
      const name = `${file} › ${heading}${count === 1 ? '' : ` #${count}`}`;
      const block = { file, fenceLine: i + 1, heading, name, code: body.join('\n') };
      blocks.push({ ...block, ...parseInfo(info, `${where}: "${fence}${lang}${info}"`) });
    }
    i = j; // past the closing fence: fences inside a block are its text
  }
  return { blocks, errors };
}

type Attributes = Pick<DocBlock, 'ignore' | 'run' | 'fixture' | 'problems'>;

/** The attributes after the language: each known one at most once, none unknown. */
function parseInfo(info: string, where: string): Attributes {
  const out: Attributes = { ignore: false, run: undefined, fixture: undefined, problems: [] };
  const seen = new Set<string>();
  const tokens = info
    .trim()
    .split(/\s+/)
    .filter((token) => token !== '');
  for (const token of tokens) {
    const [key, value] = token.split('=', 2) as [string, string | undefined];
    if (seen.has(key)) out.problems.push(`${where}: "${key}" is given twice`);
    seen.add(key);
    if (key === 'ignore' && value === undefined) out.ignore = true;
    else if (key === 'run' && (value === undefined || value === 'broker')) out.run = value === undefined ? 'memory' : 'broker';
    else if (key === 'fixture' && value !== undefined && /^[\w-]+$/.test(value)) out.fixture = value;
    else out.problems.push(`${where}: unknown fence attribute "${token}" (known: ${KNOWN})`);
  }
  if (out.ignore && (out.run !== undefined || out.fixture !== undefined)) {
    out.problems.push(`${where}: an ignored block is neither compiled nor run; drop "run"/"fixture" or "ignore"`);
  }
  if (out.fixture !== undefined && out.run !== 'broker') {
    out.problems.push(`${where}: "fixture=${out.fixture}" needs "run=broker"`);
  }
  return out;
}

/** Where the docs are: files that must exist, and directories whose *.md must hold blocks. */
export interface DocSources {
  /** Repository root; files and directories are relative to it. */
  root: string;
  files: string[];
  dirs: string[];
  /** Directories left out of `dirs` (generated pages: `docs/api`). */
  exclude?: string[];
}

/**
 * Every block of the sources, and what makes the set untrustworthy: a missing
 * file or directory, a directory without one ```ts block, an unclosed fence.
 * An empty list must never pass as "all blocks compile".
 */
export function collectBlocks(sources: DocSources): { blocks: DocBlock[]; errors: string[] } {
  const { root, exclude = [] } = sources;
  const blocks: DocBlock[] = [];
  const errors: string[] = [];
  const read = (path: string): DocBlock[] => {
    const file = relative(root, path).split(sep).join('/');
    const found = extractBlocks(readFileSync(path, 'utf8'), file);
    errors.push(...found.errors);
    blocks.push(...found.blocks);
    return found.blocks;
  };
  for (const file of sources.files) {
    const path = join(root, file);
    if (existsSync(path)) read(path);
    else errors.push(`${file} is missing (looked for ${path}); its code blocks cannot be checked`);
  }
  const skipped = new Set(exclude.map((dir) => join(root, dir)));
  for (const dir of sources.dirs) {
    const path = join(root, dir);
    if (!existsSync(path) || !statSync(path).isDirectory()) {
      errors.push(`${dir}/ is missing (looked for ${path}); its code blocks cannot be checked`);
      continue;
    }
    const found = markdownFiles(path, skipped).flatMap(read);
    if (found.length === 0) errors.push(`${dir}/ has no \`\`\`ts block in any *.md file: nothing to check there`);
  }
  return { blocks, errors };
}

/** The *.md files under `dir`, sorted, outside the `skipped` directories. */
function markdownFiles(dir: string, skipped: ReadonlySet<string>): string[] {
  if (skipped.has(dir)) return [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path, skipped);
    return entry.isFile() && entry.name.endsWith('.md') ? [path] : [];
  });
}

/** The repository's docs: README.md and docs/ (docs/api/ is TypeDoc's output). */
export function repositoryDocs(root: string): DocSources {
  return { root, files: ['README.md'], dirs: ['docs'], exclude: ['docs/api'] };
}
