/**
 * The API reference (`npm run docs`, TypeDoc over the three entry points of
 * package.json `exports`) fails on an undocumented public export or a link
 * that leads nowhere: TypeDoc's validation, with warnings as errors
 * (typedoc.json). Here it runs as `npm run docs` would, without writing the
 * site (`--emit none`), so an export added without TSDoc fails `npm test`.
 *
 * A second run, on a one-line project with one undocumented export, proves
 * that the configuration really refuses one: a typedoc.json whose validation
 * was switched off would pass the first test, not this one.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify, stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const TYPEDOC = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
/** TypeDoc takes about 5 s of CPU; on a machine shared by other work, several times that in wall time. */
const RUN_TIMEOUT_MS = 100_000;

interface Outcome {
  code: number;
  output: string;
}

/** Runs TypeDoc in `cwd` to its end; a non-zero exit is an outcome, not a throw. Its output without colours. */
async function typedoc(cwd: string): Promise<Outcome> {
  const options = { cwd, timeout: RUN_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 };
  try {
    const { stdout, stderr } = await exec(process.execPath, [TYPEDOC, '--emit', 'none'], options);
    return { code: 0, output: stripVTControlCharacters(stdout + stderr) };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: unknown; stderr?: unknown };
    if (typeof e.code !== 'number') throw error; // did not run at all, or timed out
    return { code: e.code, output: stripVTControlCharacters(String(e.stdout) + String(e.stderr)) };
  }
}

interface TypedocConfig {
  entryPoints: string[];
  intentionallyNotExported?: string[];
  validation: Record<string, boolean>;
  treatWarningsAsErrors?: boolean;
  treatValidationWarningsAsErrors?: boolean;
}

const config = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as TypedocConfig;

describe.concurrent('typedoc', () => {
  it('typedoc - documents exactly the entry points of package.json exports', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    const entries = Object.keys(pkg.exports).filter((key) => key !== './package.json');
    const sources: Record<string, string> = { '.': 'src/index.ts', './testing': 'src/testing/index.ts', './blocks': 'src/blocks.ts' };
    expect(entries.map((key) => sources[key] ?? `(no source known for ${key})`).sort()).toEqual([...config.entryPoints].sort());
  });

  it(
    'typedoc - every public export and member is documented, and every {@link} resolves',
    async () => {
      const outcome = await typedoc(root);
      expect(outcome.output).not.toMatch(/\[warning\]|\[error\]/);
      expect(outcome.code, outcome.output).toBe(0);
    },
    RUN_TIMEOUT_MS + 10_000,
  );

  describe('an undocumented export', () => {
    let dir = '';
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rx-pubsub-typedoc-'));
      await writeFile(
        join(dir, 'index.ts'),
        '/** @module fixture */\n/** Documented. */\nexport const documented = 1;\nexport const forgotten = 2;\n',
      );
      await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, types: [] }, include: ['index.ts'] }));
      // The repository's options, on the fixture instead of src/ (TypeDoc reads the files to document from the
      // tsconfig an options file names before the command line could name another: hence a typedoc.json of its own).
      const fixture = { ...config, entryPoints: ['index.ts'], tsconfig: 'tsconfig.json', intentionallyNotExported: [] };
      await writeFile(join(dir, 'typedoc.json'), JSON.stringify(fixture));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it(
      'typedoc - the configuration fails the build on an undocumented export',
      async () => {
        expect(config.validation).toMatchObject({ notDocumented: true, invalidLink: true, notExported: true });
        const outcome = await typedoc(dir);
        expect(outcome.output).toMatch(/forgotten.*does not have any documentation/);
        expect(outcome.output).not.toMatch(/documented\b.*does not have any documentation/);
        expect(outcome.code).not.toBe(0);
      },
      RUN_TIMEOUT_MS + 10_000,
    );
  });
});
