/**
 * `npm --prefix bench run docs`: rewrites the generated regions of the docs
 * from the stored results, without running anything: the performance page's
 * `bench:results` and `bench:scale` regions and the README's
 * `bench:headline`, and results/latest.md and scale.md whole (the same
 * Markdown). `npm run bench` and `npm run bench:scale` call
 * {@link updateDocs} when they finish. Flags: `--results` / `--scale` (only
 * those; both by default), `--page=<file>` and `--readme=<file>` (other
 * targets, e.g. a copy), `--check` (fail when a region is out of date,
 * write nothing).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replaceRegion } from './lib/doc-regions.js';
import { headlineMarkdown, latestFile, type LatestResults, resultsMarkdown } from './lib/doc-results.js';
import { scaleFile, type ScaleResults, scaleMarkdown } from './lib/doc-scale.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
const resultsDir = join(here, 'results');
/** The performance page, from the repository's root. */
const PAGE = 'docs/guide/performance.md';

export interface DocTargets {
  /** Which results to write from (both by default). */
  readonly results?: boolean;
  readonly scale?: boolean;
  readonly page?: string;
  readonly readme?: string;
  /** Report the files whose regions differ from the results instead of writing them. */
  readonly check?: boolean;
}

/** A Markdown link from `file` to `target` (both absolute), with forward slashes. */
const linkFrom = (file: string, target: string): string => relative(dirname(file), target).split(sep).join('/');

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

/** The regions to write, per file (absolute path): region name → Markdown. */
export async function generatedRegions(targets: Required<Omit<DocTargets, 'check'>>): Promise<Map<string, Map<string, string>>> {
  const files = new Map<string, Map<string, string>>([[targets.page, new Map()]]);
  const readme = join(here, 'README.md');
  const page = files.get(targets.page) as Map<string, string>;
  // Links are written for the files' places in the repository, even when the target is a copy elsewhere.
  const [pageAt, readmeAt] = [join(repo, PAGE), join(repo, 'README.md')];
  if (targets.results) {
    const latest = await readJson<LatestResults>(join(resultsDir, 'latest.json'));
    page.set('results', resultsMarkdown(latest, { json: linkFrom(pageAt, join(resultsDir, 'latest.json')), readme: linkFrom(pageAt, readme) }));
    files.set(targets.readme, new Map([['headline', headlineMarkdown(latest, linkFrom(readmeAt, pageAt))]]));
  }
  if (targets.scale) {
    const scale = await readJson<ScaleResults>(join(resultsDir, 'scale.json'));
    page.set('scale', scaleMarkdown(scale, { charts: linkFrom(pageAt, resultsDir), readme: `${linkFrom(pageAt, readme)}#the-scale-run-how-cost-grows-as-work-grows` }));
  }
  return files;
}

/** Which results, into which files: by default both, into the repository's page and README. */
export function docTargets(options: DocTargets = {}): Required<Omit<DocTargets, 'check'>> {
  const both = options.results === undefined && options.scale === undefined;
  return {
    results: both || options.results === true,
    scale: both || options.scale === true,
    page: resolve(options.page ?? join(repo, PAGE)),
    readme: resolve(options.readme ?? join(repo, 'README.md')),
  };
}

/**
 * Rewrites every file whose regions it can; a file with a missing marker is
 * left untouched and named in the error thrown at the end (after the others
 * were written), so a results run is never lost to one file's markers.
 */
export async function updateDocs(options: DocTargets = {}): Promise<string[]> {
  const targets = docTargets(options);
  const errors: string[] = [];
  const touched: string[] = [];
  // results/latest.md and scale.md, whole: the same Markdown, beside the JSON.
  const wholes: [string, string][] = [];
  if (targets.results) wholes.push([join(resultsDir, 'latest.md'), latestFile(await readJson<LatestResults>(join(resultsDir, 'latest.json')))]);
  if (targets.scale) wholes.push([join(resultsDir, 'scale.md'), scaleFile(await readJson<ScaleResults>(join(resultsDir, 'scale.json')))]);
  for (const [file, text] of wholes) {
    if ((await readFile(file, 'utf8').catch(() => '')) === text) continue;
    if (options.check) errors.push(`${relative(repo, file)}: out of date; run \`npm --prefix bench run docs\``);
    else {
      await writeFile(file, text);
      touched.push(relative(repo, file));
    }
  }
  for (const [file, bodies] of await generatedRegions(targets)) {
    const shown = file.startsWith(repo + sep) ? relative(repo, file) : file;
    try {
      const before = await readFile(file, 'utf8').catch(() => {
        throw new Error(`${shown}: cannot read it (it should hold the regions ${[...bodies.keys()].join(', ')})`);
      });
      let after = before;
      for (const [name, body] of bodies) after = replaceRegion(after, name, body, shown);
      if (after === before) continue;
      if (options.check) throw new Error(`${shown}: generated regions out of date; run \`npm --prefix bench run docs\``);
      await writeFile(file, after);
      touched.push(shown);
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (errors.length > 0) throw new Error(errors.join('\n'));
  return touched;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const only = { results: args.includes('--results') || undefined, scale: args.includes('--scale') || undefined };
  const touched = await updateDocs({ ...only, page: flag('page'), readme: flag('readme'), check: args.includes('--check') });
  console.log(touched.length > 0 ? `Rewrote the generated regions of ${touched.join(', ')}` : 'Generated regions already up to date');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
