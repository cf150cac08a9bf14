/**
 * publint and Are the Types Wrong (attw) on the run's packed tarball
 * (test/support/packed-package.ts): package.json agrees with the files, and
 * every entry point resolves, with its types, for each module resolution.
 *
 * attw's one finding is expected, and pinned: under `node16` from CommonJS a
 * require() of the package resolves to ES modules ("ESM (dynamic import
 * only)"). TypeScript's node16 and node18 model Node releases without
 * require(esm); the package requires Node >= 20.19, where require() of an ES
 * module works, and TypeScript's `node20` and `nodenext` (5.8+) say so
 * (commonjs.test.ts compiles and runs such projects, and shows node16's
 * TS1479). Declaring CommonJS types (.d.cts) for an ES module instead would
 * make a second copy of every class type, which a program importing the
 * package both ways could not mix, for one runtime module.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACK_TIMEOUT_MS, REPO_ROOT, packedPackage } from '../support/packed-package.js';
import { runCommand, show } from '../support/run-command.js';

const bin = (name: string): string => join(REPO_ROOT, 'node_modules', '.bin', name);
const ENTRY_POINTS = ['.', './testing', './blocks'];
const RESOLUTIONS = ['node10', 'node16-cjs', 'node16-esm', 'bundler'];

interface AttwReport {
  analysis: {
    entrypoints: Record<string, { resolutions: Record<string, { resolution?: { fileName: string } }> }>;
    problems: { kind: string; entrypoint: string; resolutionKind: string }[];
  };
}

beforeAll(async () => {
  await packedPackage();
}, PACK_TIMEOUT_MS);

describe('package (lint)', () => {
  it('package - publint --strict finds nothing to say about the tarball', async () => {
    const { tarball } = await packedPackage();
    const outcome = await runCommand(bin('publint'), ['run', tarball, '--strict'], REPO_ROOT);
    expect(outcome.code, show(outcome)).toBe(0);
    expect(outcome.stdout).toContain('All good!');
  }, 60_000);

  it('package - attw: every entry point resolves to its declarations for node10, node16 (CommonJS and ESM) and bundler; CommonJS under node16 only through require(esm)', async () => {
    const { tarball } = await packedPackage();
    const outcome = await runCommand(bin('attw'), [tarball, '--format', 'json'], REPO_ROOT, 120_000);
    const { analysis } = JSON.parse(outcome.stdout) as AttwReport;
    const types = Object.fromEntries(
      ENTRY_POINTS.map((entry) => [
        entry,
        RESOLUTIONS.map((kind) => analysis.entrypoints[entry]?.resolutions[kind]?.resolution?.fileName.replace(/^.*\/dist\//, 'dist/')),
      ]),
    );
    expect(types).toEqual({
      '.': Array(4).fill('dist/index.d.ts'),
      './testing': Array(4).fill('dist/testing/index.d.ts'),
      './blocks': Array(4).fill('dist/blocks.d.ts'),
    });
    expect(analysis.problems, show(outcome)).toEqual(
      ENTRY_POINTS.map((entrypoint) => ({ kind: 'CJSResolvesToESM', entrypoint, resolutionKind: 'node16-cjs' })),
    );
  }, 120_000);
});
