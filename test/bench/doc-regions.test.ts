import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { replaceRegion } from '../../bench/lib/doc-regions.js';
import { headlineMarkdown, type LatestResults, resultsMarkdown } from '../../bench/lib/doc-results.js';
import type { Row } from '../../bench/lib/report.js';
import { type ScaleResults, scaleMarkdown } from '../../bench/lib/doc-scale.js';

// The docs' benchmark figures are generated from bench/results/*.json (never retyped): the
// region replacement, and the Markdown made from a stored run (fixtures cut from real runs).

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8'));
const latest = fixture('latest.json') as LatestResults;
const scale = fixture('scale.json') as ScaleResults;

const page = ['# Performance', '', 'Hand-written.', '<!-- bench:results -->', 'old table', '<!-- /bench:results -->', '', 'More prose.', ''].join('\n');

describe('replaceRegion', () => {
  it('replaceRegion - rewrites only what is between the markers', () => {
    const out = replaceRegion(page, 'results', '| new | table |', 'docs/x.md');
    expect(out).toBe(page.replace('old table', '| new | table |'));
  });

  it('replaceRegion - writing the same body twice changes nothing', () => {
    const once = replaceRegion(page, 'results', 'body\n', 'docs/x.md');
    expect(replaceRegion(once, 'results', 'body\n', 'docs/x.md')).toBe(once);
  });

  it('replaceRegion - a missing marker is an error naming the file and the marker', () => {
    expect(() => replaceRegion(page, 'scale', 'x', 'docs/guide/performance.md')).toThrow(/docs\/guide\/performance\.md: no <!-- bench:scale --> and no <!-- \/bench:scale --> line/);
    const noEnd = page.replace('<!-- /bench:results -->', '');
    expect(() => replaceRegion(noEnd, 'results', 'x', 'README.md')).toThrow(/README\.md: no <!-- \/bench:results --> line/);
  });

  it('replaceRegion - a region marked twice, or closed before it opens, is an error', () => {
    expect(() => replaceRegion(`${page}${page}`, 'results', 'x', 'a.md')).toThrow(/a\.md: the region 'results' is marked more than once/);
    const reversed = '<!-- /bench:results -->\nx\n<!-- bench:results -->\n';
    expect(() => replaceRegion(reversed, 'results', 'x', 'a.md')).toThrow(/a\.md: <!-- \/bench:results --> comes before/);
  });

  it('replaceRegion - a marker quoted inside a line is prose, not a marker', () => {
    const quoted = 'Put `<!-- bench:headline -->` on a line of its own.\n';
    expect(() => replaceRegion(quoted, 'headline', 'x', 'README.md')).toThrow(/README\.md: no <!-- bench:headline -->/);
  });
});

describe('resultsMarkdown', () => {
  const md = resultsMarkdown(latest, { json: '../../bench/results/latest.json', readme: '../../bench/README.md' });

  it('resultsMarkdown - says when, on what, at which commit and how it was run', () => {
    expect(md).toContain('Measured 2026-12-04 19:57 UTC on 2 cores (Intel(R) Xeon(R) Processor), 24 GB');
    expect(md).toContain('Node v20.20.2; RabbitMQ 3.10.8');
    expect(md).toContain('Commit 4e6ea3c. Command: `npm run bench`; 3 rounds, medians; took 269 s.');
  });

  it('resultsMarkdown - holds every row of the run, with its figures', () => {
    const tableRows = md.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| scenario') && !line.startsWith('| :--'));
    expect(tableRows).toHaveLength(latest.rows.length);
    expect(md).toMatch(/\| publish \| rx-pubsub \| 17,366 \| 0\.93× \| 13\.5 \| 1\.57× \|/);
    expect(md).toContain('[latest.json](../../bench/results/latest.json)');
  });

  it('resultsMarkdown - a run without a recorded command quotes the one rebuilt from its sizes', () => {
    const quick = resultsMarkdown({ ...latest, config: { ...latest.config, quick: true, rounds: 1 } }, { json: 'j', readme: 'r' });
    expect(quick).toContain('Command: `BENCH_QUICK=1 npm run bench -- --rounds=1`; 1 round,');
    expect(resultsMarkdown({ ...latest, command: 'npm run bench -- --rounds=5' }, { json: 'j', readme: 'r' })).toContain('`npm run bench -- --rounds=5`');
  });

  it('resultsMarkdown - lists the sizes of the scenarios the run ran, and only those', () => {
    const publishOnly = resultsMarkdown({ ...latest, config: { ...latest.config, scenarios: ['publish'] } }, { json: 'j', readme: 'r' });
    expect(publishOnly).toContain('Sizes: publish 50,000 events (at most 1,000 unconfirmed).');
    expect(md).toContain('; consume 50,000 (prefetch 200); latency 2,000/s for 6 s; memory:// 200,000 deliveries;');
  });
});

describe('headlineMarkdown', () => {
  const md = headlineMarkdown(latest, 'docs/guide/performance.md');
  const lines = md.split('\n');

  it('headlineMarkdown - publish, consume and latency p50 as ratios to raw amqplib, in 3 to 5 lines', () => {
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.length).toBeLessThanOrEqual(5);
    expect(lines[0]).toMatch(/^- \*\*Publish\*\*: 0\.93× raw amqplib's throughput .* at 1\.57× its CPU per message/);
    expect(lines[1]).toMatch(/^- \*\*Consume\*\*: 1\.30× raw amqplib's throughput at 1\.18× its CPU per message/);
    expect(lines[2]).toMatch(/^- \*\*Latency p50\*\*: 0\.41 ms with the defaults, 1\.00× raw amqplib with `noDelay` \(raw amqplib on Node's default socket: 20\.6 ms\)/);
  });

  it('headlineMarkdown - links the full table and says when and on what', () => {
    expect(lines.at(-1)).toContain('2026-12-04, 2 cores, RabbitMQ 3.10.8, medians of 3 rounds');
    expect(lines.at(-1)).toContain('(docs/guide/performance.md)');
  });

  it('headlineMarkdown - names the publish baseline the run used, and says when the machine was loaded', () => {
    expect(lines[0]).toContain("raw amqplib's throughput (sending the same wire format)");
    const naiveRow = { ...(latest.rows[0] as Row), variant: 'naive' };
    const loaded = { ...latest, rows: [naiveRow, ...latest.rows.slice(1)], machine: { ...latest.machine, loadAverageAtStart: [9, 9, 9] }, config: { ...latest.config, rounds: 1 } };
    const md = headlineMarkdown(loaded, 'p.md');
    expect(md).toContain("raw amqplib's throughput (a plain confirmed `publish`, as users write it)");
    expect(md).toContain('2 cores (a loaded machine: noisy), RabbitMQ 3.10.8, one round;');
  });

  it('headlineMarkdown - a run with none of the three rows is an error, not an empty headline', () => {
    const memoryOnly = { ...latest, rows: latest.rows.filter((r) => r.client !== 'rx-pubsub') };
    expect(() => headlineMarkdown(memoryOnly, 'p.md')).toThrow(/no publish, consume or latency row/);
  });
});

describe('scaleMarkdown', () => {
  const md = scaleMarkdown(scale, { charts: '../../bench/results', readme: '../../bench/README.md#scale' });

  it('scaleMarkdown - one section per axis: heading, chart link, table', () => {
    for (const axis of scale.axes) {
      const at = md.indexOf(`### ${axis.title}\n`);
      expect(at).toBeGreaterThan(0);
      expect(md.indexOf(`![${axis.title}](../../bench/results/scale-${axis.axis}.svg)`)).toBeGreaterThan(at);
    }
    expect(md).toMatch(/\| consume \| 1 \| 1,250 \| 2,512 \| 1,606 \| 0\.\d\d× \|/);
  });

  it('scaleMarkdown - says it ran on a loaded machine, with the broker at rest, and the command', () => {
    expect(md).toContain('a loaded machine');
    expect(md).toContain('Broker at rest (its CPU while this run sent it nothing, 3 s before each round): 90.0 ms/s, 3.3 ms/s, 6.7 ms/s');
    expect(md).toContain('Command: `npm run bench:scale -- --quick --axes=prefetch,queue`');
  });
});
