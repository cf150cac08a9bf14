import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { docTargets, generatedRegions } from '../../bench/docs.js';
import { replaceRegion } from '../../bench/lib/doc-regions.js';
import { latestFile, type LatestResults } from '../../bench/lib/doc-results.js';
import { scaleFile, type ScaleResults } from '../../bench/lib/doc-scale.js';

const results = (name: string): URL => new URL(`../../bench/results/${name}`, import.meta.url);
const read = (name: string): Promise<string> => readFile(results(name), 'utf8');

// The benchmark's figures in the docs are written from bench/results/*.json by `npm run bench`,
// `npm run bench:scale` and `npm --prefix bench run docs`, never by hand: a figure edited in place,
// or results committed without the docs they change, fail here.

describe('generated benchmark figures', () => {
  it('docs/guide/performance.md - its bench:results and bench:scale regions match bench/results/*.json', async () => {
    const targets = docTargets();
    const regions = (await generatedRegions(targets)).get(targets.page) ?? new Map<string, string>();
    const text = await readFile(targets.page, 'utf8');
    expect([...regions.keys()]).toEqual(['results', 'scale']);
    for (const [name, body] of regions) {
      expect(replaceRegion(text, name, body, 'docs/guide/performance.md'), `region ${name}: run \`npm --prefix bench run docs\``).toBe(text);
    }
  });

  it('bench/results/latest.md and scale.md - made from the JSON beside them', async () => {
    expect(await read('latest.md')).toBe(latestFile(JSON.parse(await read('latest.json')) as LatestResults));
    expect(await read('scale.md')).toBe(scaleFile(JSON.parse(await read('scale.json')) as ScaleResults));
  });

  it('README.md - its bench:headline region matches bench/results/latest.json', async () => {
    const targets = docTargets({ results: true });
    const body = (await generatedRegions(targets)).get(targets.readme)?.get('headline');
    const text = await readFile(targets.readme, 'utf8');
    expect(replaceRegion(text, 'headline', body ?? '', 'README.md'), 'run `npm --prefix bench run docs`').toBe(text);
  });
});
