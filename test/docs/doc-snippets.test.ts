/**
 * The doc-block machinery on fixture markdown (test/docs/fixtures/), not on
 * the real docs: names by file and heading, failures found and located, fence
 * mistakes and missing docs reported, run blocks that throw, exit non-zero or
 * hang failed with their output.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { collectBlocks, extractBlocks, repositoryDocs, type DocBlock } from '../support/doc-snippets.js';
import { startRuns, type Runs } from './run-blocks.js';
import { fixtures } from './run-fixtures.js';
import { typeCheckBlocks } from './type-check-blocks.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('fixtures/', import.meta.url));
const RUN_TIMEOUT_MS = 15_000;

const good = collectBlocks(repositoryDocs(`${FIXTURES}good`));
const bad = collectBlocks(repositoryDocs(`${FIXTURES}bad`));

function named(blocks: readonly DocBlock[], name: string): DocBlock {
  const block = blocks.find((b) => b.name === name);
  if (block === undefined) throw new Error(`no block named "${name}" in ${blocks.map((b) => b.name).join(', ')}`);
  return block;
}

/** The markdown line holding `text` inside `block`. */
function lineOf(block: DocBlock, text: string): number {
  const index = block.code.split('\n').findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`"${text}" is not in ${block.name}`);
  return block.fenceLine + 1 + index;
}

describe('doc snippets - extraction', () => {
  it('doc snippets - names blocks by file and heading, #2 for a later block under the same heading text, outside docs/api', () => {
    expect(good.errors).toEqual([]);
    expect(good.blocks.map((b) => [b.name, b.ignore, b.run ?? '-'])).toEqual([
      ['README.md › A fixture README', false, '-'],
      ['README.md › Quick start', false, '-'],
      ['README.md › Quick start #2', false, '-'],
      ['README.md › Broken', false, '-'],
      ['README.md › Broken #2', true, '-'],
      ['docs/guide/handlers.md › Retrying a failed delivery', false, 'memory'],
      ['docs/guide/handlers.md › Retrying a failed delivery #2', false, 'memory'],
      ['docs/guide/handlers.md › Example', false, 'memory'],
      ['docs/guide/handlers.md › Another section', false, '-'],
      ['docs/guide/handlers.md › Example #2', false, 'memory'],
      ['docs/guide/handlers.md › Example #3', false, 'broker'],
    ]);
  });

  it('doc snippets - lines added above a block move its line, never its name', () => {
    const text = readFileSync(`${FIXTURES}good/docs/guide/handlers.md`, 'utf8');
    const before = extractBlocks(text, 'handlers.md').blocks;
    const edited = text.replace('## Example', 'Two lines\nof prose, then\n```ts\nconst extra = 1;\n```\n\n## Example');
    const after = extractBlocks(edited, 'handlers.md').blocks.filter((b) => b.code !== 'const extra = 1;');
    expect(after.map((b) => b.name)).toEqual(before.map((b) => b.name));
    expect(after.at(-1)?.fenceLine).toBe((before.at(-1)?.fenceLine ?? 0) + 6);
  });

  it('doc snippets - an unknown fence attribute, a fixture without run=broker, an unclosed fence and a docs/ without blocks are errors naming file and heading', () => {
    expect(bad.blocks.map((b) => [b.name, b.problems])).toEqual([
      [
        'README.md › Unknown attribute',
        [expect.stringMatching(/^README\.md:5 \(under "Unknown attribute"\): "`{3}ts runn": unknown fence attribute "runn"/)],
      ],
      [
        'README.md › Fixture without broker',
        [expect.stringMatching(/^README\.md:11 \(under "Fixture without broker"\): .*"fixture=dlq-replay" needs "run=broker"/)],
      ],
      [
        'README.md › Unknown run target',
        [expect.stringMatching(/^README\.md:17 \(under "Unknown run target"\): .*unknown fence attribute "run=docker"/)],
      ],
      ['README.md › Unknown fixture', []],
      ['README.md › Unclosed', []],
    ]);
    expect(bad.errors).toEqual([
      'README.md:29 (under "Unclosed"): the "```ts" fence is never closed',
      'docs/ has no ```ts block in any *.md file: nothing to check there',
    ]);
  });

  it('doc snippets - a missing README.md and a docs/ of prose only are errors, not an empty pass', () => {
    const empty = collectBlocks(repositoryDocs(`${FIXTURES}empty`));
    expect(empty.blocks).toEqual([]);
    expect(empty.errors).toEqual([
      expect.stringMatching(/^README\.md is missing \(looked for .*empty\/README\.md\)/),
      'docs/ has no ```ts block in any *.md file: nothing to check there',
    ]);
    const none = collectBlocks({ root: `${FIXTURES}empty`, files: [], dirs: ['guide'] });
    expect(none.errors).toEqual([expect.stringMatching(/^guide\/ is missing/)]);
  });
});

describe('doc snippets - type-check', () => {
  it('doc snippets - one tsc run finds the block that does not compile, at its markdown lines, and nothing in the others', async () => {
    const checked = good.blocks.filter((b) => !b.ignore);
    const result = await typeCheckBlocks(ROOT, checked, 90_000);
    const broken = named(checked, 'README.md › Broken');
    expect(result.errorsOf(broken)).toEqual([
      expect.stringMatching(
        new RegExp(`^README\\.md:${lineOf(broken, 'const bus')}: error TS2322: Type 'string' is not assignable to type 'EventBus`),
      ),
      expect.stringMatching(
        new RegExp(`^README\\.md:${lineOf(broken, 'notDefinedAnywhere')}: error TS2304: Cannot find name 'notDefinedAnywhere'`),
      ),
    ]);
    expect(checked.filter((b) => b !== broken).flatMap((b) => result.errorsOf(b))).toEqual([]);
    expect(result.elsewhere).toEqual([]);
  }, 95_000);
});

const HANG = 'docs/guide/handlers.md › Example #2';
/** The hanging block's deadline: short, as it is spent in full. */
const HANG_DEADLINE_MS = 3_000;
const runnable = [...good.blocks, ...bad.blocks].filter((b) => b.run !== undefined);
let runs: Runs | undefined;
let hangs: Runs | undefined;
const outcome = (name: string): ReturnType<Runs['outcomeOf']> => {
  const block = named(runnable, name);
  const started = name === HANG ? hangs : runs;
  if (started === undefined) throw new Error('the runs did not start');
  return started.outcomeOf(block);
};

// Started before the type-check, so that tsc and the runs overlap.
beforeAll(() => {
  // A memory block must not see the broker even when the test process has one.
  vi.stubEnv('AMQP_URL', 'amqp://guest:guest@127.0.0.1:1');
  const options = { root: ROOT, concurrency: 2, amqpUrl: undefined, fixtures };
  runs = startRuns(
    runnable.filter((b) => b.name !== HANG),
    { ...options, timeoutMs: RUN_TIMEOUT_MS },
  );
  hangs = startRuns([named(runnable, HANG)], { ...options, timeoutMs: HANG_DEADLINE_MS });
});
afterAll(async () => {
  await Promise.all([runs?.finish(), hangs?.finish()]);
  vi.unstubAllEnvs();
}, 2 * RUN_TIMEOUT_MS);

describe('doc snippets - runs', () => {
  it(
    'doc snippets - a run block that exits 0 passes, on memory:// without AMQP_URL, its imports mapped to src/',
    async () => {
      const { ok, report } = await outcome('docs/guide/handlers.md › Retrying a failed delivery');
      expect(report).toContain('settled ack no AMQP_URL');
      expect(ok).toBe(true);
    },
    2 * RUN_TIMEOUT_MS,
  );

  it(
    'doc snippets - a run block that throws fails with its error, located in the markdown',
    async () => {
      const block = named(runnable, 'docs/guide/handlers.md › Retrying a failed delivery #2');
      const { ok, report } = await outcome(block.name);
      expect(ok).toBe(false);
      expect(report).toMatch(new RegExp(`^the \`\`\`ts run block at docs/guide/handlers\\.md:${block.fenceLine} exited with 1`));
      expect(report).toContain('Error: a run block that throws');
      expect(report).toContain(`docs/guide/handlers.md:${lineOf(block, 'throw new Error')}`);
    },
    2 * RUN_TIMEOUT_MS,
  );

  it(
    'doc snippets - a run block that exits non-zero fails with its output',
    async () => {
      const { ok, report } = await outcome('docs/guide/handlers.md › Example');
      expect(ok).toBe(false);
      expect(report).toMatch(/exited with 3\nstdout:\nabout to fail/);
    },
    2 * RUN_TIMEOUT_MS,
  );

  it(
    'doc snippets - a run block that never exits is killed at its deadline and fails',
    async () => {
      const { ok, report } = await outcome(HANG);
      expect(ok).toBe(false);
      expect(report).toMatch(/did not exit within 3 s \(killed\)/);
    },
    2 * RUN_TIMEOUT_MS,
  );

  it(
    'doc snippets - a run=broker block without a broker, a bad fence and an unknown fixture fail, never run',
    async () => {
      const broker = await outcome('docs/guide/handlers.md › Example #3');
      expect(broker.ok).toBe(false);
      expect(broker.report).toContain('a run=broker block, and no broker was given');
      expect((await outcome('README.md › Fixture without broker')).report).toMatch(/needs "run=broker"/);
      expect((await outcome('README.md › Unknown fixture')).report).toMatch(/no fixture "no-such-fixture" \(known: dlq-replay\)/);
    },
    2 * RUN_TIMEOUT_MS,
  );
});
