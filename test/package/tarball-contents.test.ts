/**
 * What `npm pack` puts in the tarball, checked on the run's one pack
 * (test/support/packed-package.ts) and on a dry run in this checkout: the
 * build, the sources its maps point at, README.md, LICENSE and CHANGELOG.md;
 * no tests, benches or scratch files, and no map pointing outside.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_NAME, PACK_TIMEOUT_MS, REPO_ROOT, type PackReport, packedPackage } from '../support/packed-package.js';
import { commandOutput } from '../support/run-command.js';

const DOCUMENTS = ['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json'];
/** A tarball past this holds something it should not (it is ~2.7 MB unpacked, half of it src/ and the maps). */
const MAX_UNPACKED_BYTES = 4_000_000;

/** Paths npm may pack: the build (code, declarations, maps), the TypeScript sources, the documents. */
function misplaced(paths: readonly string[]): string[] {
  return paths.filter(
    (path) =>
      !DOCUMENTS.includes(path) &&
      !/^dist\/.+\.(js|d\.ts)(\.map)?$/.test(path) &&
      !(/^src\/.+\.ts$/.test(path) && !/\.(test|spec|d)\.ts$/.test(path)),
  );
}

/** What tsc makes of one source file. */
function builtFrom(source: string): string[] {
  const base = source.replace(/^src\//, 'dist/').replace(/\.ts$/, '');
  return [`${base}.js`, `${base}.js.map`, `${base}.d.ts`, `${base}.d.ts.map`];
}

const pathsOf = (report: PackReport): string[] => report.files.map((file) => file.path).sort();

beforeAll(async () => {
  await packedPackage();
}, PACK_TIMEOUT_MS);

describe('package (tarball)', () => {
  it('package - npm pack in this checkout would take only dist/, src/, README.md, LICENSE, CHANGELOG.md and package.json', async () => {
    // --ignore-scripts: list what is there, without building into the shared checkout's dist/.
    const [report] = JSON.parse(await commandOutput('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], REPO_ROOT)) as [PackReport];
    const paths = pathsOf(report);
    expect(misplaced(paths)).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining([...DOCUMENTS, 'src/index.ts']));
  });

  it('package - the tarball holds every source file and its build (code, declarations, maps), the documents, and nothing else', async () => {
    const { report } = await packedPackage();
    const paths = pathsOf(report);
    const sources = paths.filter((path) => path.startsWith('src/'));
    expect(sources.length).toBeGreaterThan(100);
    expect(paths).toEqual([...DOCUMENTS, ...sources, ...sources.flatMap(builtFrom)].sort());
    expect(report.unpackedSize, `${report.unpackedSize} bytes unpacked, ${report.size} packed`).toBeLessThan(MAX_UNPACKED_BYTES);
  });

  it('package - every source map, and every reference to one, points at a file in the tarball', async () => {
    const { report, dir } = await packedPackage();
    const broken: string[] = [];
    for (const path of pathsOf(report).filter((p) => p.startsWith('dist/'))) {
      const text = await readFile(join(dir, path), 'utf8');
      if (path.endsWith('.map')) {
        const map = JSON.parse(text) as { sources: string[]; sourceRoot?: string };
        for (const source of map.sources) {
          const target = resolve(dirname(join(dir, path)), map.sourceRoot ?? '', source);
          if (relative(dir, target).startsWith('..') || !existsSync(target)) broken.push(`${path} -> ${source}`);
        }
      } else {
        const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text)?.[1];
        if (url === undefined || !existsSync(join(dirname(join(dir, path)), url))) broken.push(`${path} -> ${url ?? 'no map'}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('package - package.json names rx-pubsub-amqp, its two commands, where it lives, MIT (the LICENSE text), and CHANGELOG.md has its version', async () => {
    const { dir } = await packedPackage();
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      name: PACKAGE_NAME,
      license: 'MIT',
      bin: { 'rx-pubsub': './dist/cli/main.js', 'rx-pubsub-amqp': './dist/cli/main.js' },
      repository: { type: 'git', url: 'git+https://github.com/rx-pubsub/rx-pubsub.git' },
      homepage: 'https://github.com/rx-pubsub/rx-pubsub#readme',
      bugs: { url: 'https://github.com/rx-pubsub/rx-pubsub/issues' },
      sideEffects: ['./dist/cli/main.js'],
    });
    expect(manifest.keywords).toEqual(expect.arrayContaining(['rabbitmq', 'amqp', 'rxjs']));
    const license = await readFile(join(dir, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the rx-pubsub authors\n/);
    const changelog = await readFile(join(dir, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toContain('## [Unreleased]');
    expect(changelog).toContain(`## [${String(manifest.version)}]`);
  });
});
