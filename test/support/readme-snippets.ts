/**
 * The ```ts blocks of a markdown file (README.md), for the tests that
 * type-check them (test/docs/readme.test.ts) and run them (test/docs/readme-run.test.ts).
 *
 * The fence's info string says what a block is for:
 *   ```ts              type-checked only
 *   ```ts ignore       skipped
 *   ```ts run          type-checked, then run on its own (no AMQP_URL: memory://)
 *   ```ts run=broker   type-checked, then run against RabbitMQ with a fixture
 *                      (test/docs/readme-run.test.ts) that prepares and checks the broker
 */

/** How a block is run: `memory` for ```ts run, `broker` for ```ts run=broker. */
export type SnippetRun = 'memory' | 'broker';

export interface Snippet {
  /** README line of the opening fence. */
  fenceLine: number;
  /** README line of the snippet's first line of code. */
  firstLine: number;
  /** The nearest heading above the block, without its `#`s. */
  heading: string;
  /** `heading`, made unique by a ` #2`, ` #3`... for later blocks under the same heading. */
  key: string;
  code: string;
  run: SnippetRun | undefined;
}

const RUN_ATTRIBUTE = /(?:^|\s)run(?:=(\S+))?(?=\s|$)/;

/** The ```ts / ```typescript blocks of a markdown text, without the ```ts ignore ones. */
export function extractSnippets(markdown: string): Snippet[] {
  const lines = markdown.split(/\r?\n/);
  const snippets: Snippet[] = [];
  const perHeading = new Map<string, number>();
  let heading = '(before the first heading)';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const title = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (title !== null) {
      heading = title[1] ?? '';
      continue;
    }
    const open = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)(.*)$/.exec(line);
    if (open === null) continue;
    const [, indent = '', fence = '', lang = '', attributes = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const inner = lines[j] ?? '';
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(inner);
      if (close?.[1] !== undefined && close[1][0] === fence[0] && close[1].length >= fence.length) break;
      body.push(inner.startsWith(indent) ? inner.slice(indent.length) : inner.trimStart());
    }
    const isTypeScript = lang === 'ts' || lang === 'typescript';
    if (isTypeScript && !/\bignore\b/.test(attributes)) {
      const count = (perHeading.get(heading) ?? 0) + 1;
      perHeading.set(heading, count);
      snippets.push({
        fenceLine: i + 1,
        firstLine: i + 2,
        heading,
        key: count === 1 ? heading : `${heading} #${count}`,
        code: body.join('\n'),
        run: runOf(attributes, i + 1),
      });
    }
    i = j; // skip past the closing fence: fences inside a block are its text
  }
  return snippets;
}

function runOf(attributes: string, fenceLine: number): SnippetRun | undefined {
  const match = RUN_ATTRIBUTE.exec(attributes);
  if (match === null) return undefined;
  const value = match[1] ?? 'memory';
  if (value === 'memory' || value === 'broker') return value;
  throw new Error(`README.md:${fenceLine}: unknown "run=${value}" (use "run" or "run=broker")`);
}
