/**
 * Every ```ts block of README.md must compile against the source, as a user
 * would write it: `import { EventBus } from 'rx-pubsub'`. A block fenced as
 * ```ts ignore is skipped (the fence attributes are in support/readme-snippets.ts;
 * ```ts run blocks are also run, by readme-run.test.ts). One tsc run checks them
 * all; each snippet then gets a test of its own, named by its heading and line.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, expect, it } from 'vitest';
import { extractSnippets, type Snippet as ReadmeSnippet } from '../support/readme-snippets.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = join(REPO_ROOT, 'README.md');
// A dot directory: the project's own `tsc -p .` never picks the snippets up.
const SNIPPET_DIR = join(REPO_ROOT, 'test', '.readme-snippets');
const TSC = join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
const TSC_TIMEOUT_MS = 55_000;

interface Snippet extends ReadmeSnippet {
  file: string;
}

interface Diagnostic {
  /** Absolute path, or undefined for a diagnostic without a location (bad tsconfig). */
  file: string | undefined;
  line: number;
  text: string;
}

function writeSnippets(found: ReadmeSnippet[]): Snippet[] {
  rmSync(SNIPPET_DIR, { recursive: true, force: true });
  mkdirSync(SNIPPET_DIR, { recursive: true });
  const tsconfig = {
    extends: '../../tsconfig.json',
    compilerOptions: {
      noEmit: true,
      // A snippet without import or export is still a module of its own.
      moduleDetection: 'force',
      paths: { 'rx-pubsub': ['../../src/index.ts'], 'rx-pubsub/testing': ['../../src/testing/index.ts'], 'rx-pubsub/blocks': ['../../src/blocks.ts'] },
    },
    include: ['snippet-*.ts'],
  };
  writeFileSync(join(SNIPPET_DIR, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  return found.map((snippet) => {
    const file = join(SNIPPET_DIR, `snippet-line-${snippet.fenceLine}.ts`);
    writeFileSync(file, `${snippet.code}\n`);
    return { ...snippet, file };
  });
}

const run = promisify(execFile);

/** Runs tsc once over all snippets; resolves with its diagnostics (none when they compile). */
async function typeCheck(): Promise<Diagnostic[]> {
  try {
    await run(TSC, ['--noEmit', '--pretty', 'false', '-p', join(SNIPPET_DIR, 'tsconfig.json')], {
      cwd: REPO_ROOT,
      timeout: TSC_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    return [];
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'killed' in error && error.killed === true) {
      throw new Error(`tsc did not finish type-checking the README snippets within ${TSC_TIMEOUT_MS / 1000} s`, {
        cause: error,
      });
    }
    const stdout = typeof error === 'object' && error !== null && 'stdout' in error ? String(error.stdout) : '';
    if (stdout.trim() === '') throw error; // tsc did not run at all
    return parseDiagnostics(stdout);
  }
}

/** `path(line,col): error TS1234: text`, continuation lines indented below it. */
function parseDiagnostics(output: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const line of output.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const located = /^(.+?)\((\d+),\d+\): (.*)$/.exec(line);
    const previous = diagnostics.at(-1);
    if (located !== null) {
      const [, file = '', lineNumber = '0', text = ''] = located;
      diagnostics.push({ file: resolve(REPO_ROOT, file), line: Number(lineNumber), text });
    } else if (/^\s/.test(line) && previous !== undefined) {
      previous.text += `\n${line}`;
    } else {
      diagnostics.push({ file: undefined, line: 0, text: line });
    }
  }
  return diagnostics;
}

function describeDiagnostic(diagnostic: Diagnostic, snippet?: Snippet): string {
  if (snippet !== undefined) return `README.md:${snippet.firstLine + diagnostic.line - 1}: ${diagnostic.text}`;
  const where = diagnostic.file === undefined ? '' : `${relative(REPO_ROOT, diagnostic.file)}:${diagnostic.line}: `;
  return `${where}${diagnostic.text}`;
}

if (!existsSync(README)) {
  it('readme - README.md exists', () => {
    throw new Error(`README.md is missing (looked for ${README}); its ts snippets cannot be type-checked`);
  });
} else {
  const snippets = writeSnippets(extractSnippets(readFileSync(README, 'utf8')));
  let diagnostics: Diagnostic[] = [];

  beforeAll(async () => {
    if (snippets.length > 0) diagnostics = await typeCheck();
  }, 60_000);

  it('readme - README.md has ts snippets to check', () => {
    expect(snippets.length, 'README.md has no ```ts code block').toBeGreaterThan(0);
  });

  for (const snippet of snippets) {
    it(`readme - the ts snippet under "${snippet.key}" (README.md:${snippet.fenceLine}) compiles`, () => {
      const errors = diagnostics.filter((d) => d.file === snippet.file).map((d) => describeDiagnostic(d, snippet));
      expect(errors, `the \`\`\`ts block at README.md:${snippet.fenceLine} does not compile`).toEqual([]);
    });
  }

  it('readme - type-checking the snippets reports nothing outside them', () => {
    const snippetFiles = new Set(snippets.map((s) => s.file));
    const elsewhere = diagnostics.filter((d) => d.file === undefined || !snippetFiles.has(d.file));
    expect(elsewhere.map((d) => describeDiagnostic(d)), 'tsc errors outside the snippets (src/ or tsconfig)').toEqual([]);
  });
}
