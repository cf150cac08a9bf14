/**
 * CommonJS consumers of the built package: a plain `.cjs` script using
 * `require()` (Node >= 20.19 and 22.12 load an ES module that way), and
 * TypeScript projects compiled to CommonJS with the repository's tsc, each
 * type-checked and then run.
 *
 * The package is built into a temporary directory of its own (the real
 * package.json beside a fresh `dist/`), so this file never races the other
 * package tests over the repository's `dist/`.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const TSC = join(root, 'node_modules', '.bin', 'tsc');

/** Files that exist in the built package, none of them an entry point. */
const INTERNAL_PATHS = ['rx-pubsub/dist/core/run-handler.js', 'rx-pubsub/dist/index.js', 'rx-pubsub/internal/errors.js'];

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; a non-zero exit is an outcome, not a throw. */
async function run(command: string, args: string[], cwd: string): Promise<Outcome> {
  try {
    const { stdout, stderr } = await exec(command, args, { cwd, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: unknown; stderr?: unknown };
    if (typeof e.code !== 'number') throw error; // did not run at all, or timed out
    return { code: e.code, stdout: String(e.stdout), stderr: String(e.stderr) };
  }
}

function show(outcome: Outcome): string {
  return `exit ${outcome.code}\n${outcome.stdout}\n${outcome.stderr}`;
}

/** A CommonJS project (package.json without `"type"`) with rx-pubsub installed. */
async function commonJsProject(name: string): Promise<string> {
  const project = join(workDir, name);
  await mkdir(join(project, 'node_modules'), { recursive: true });
  await symlink(packageDir, join(project, 'node_modules', 'rx-pubsub'), 'dir');
  // @types/node for the TypeScript projects, as an application would have it.
  await symlink(join(root, 'node_modules', '@types'), join(project, 'node_modules', '@types'), 'dir');
  await writeFile(join(project, 'package.json'), JSON.stringify({ name, private: true }));
  return project;
}

let workDir = '';
let packageDir = '';

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'rx-pubsub-cjs-'));
  packageDir = join(workDir, 'rx-pubsub');
  await mkdir(packageDir);
  const build = await run(TSC, ['-p', 'tsconfig.build.json', '--outDir', join(packageDir, 'dist')], root);
  expect(build.code, show(build)).toBe(0);
  await copyFile(join(root, 'package.json'), join(packageDir, 'package.json'));
  // The package's own dependencies (rxjs, amqplib...) resolve from beside it.
  await symlink(join(root, 'node_modules'), join(packageDir, 'node_modules'), 'dir');
}, 90_000);

afterAll(async () => {
  if (workDir !== '') await rm(workDir, { recursive: true, force: true });
});

describe('package (CommonJS)', () => {
  it('package - a .cjs script require()s rx-pubsub, rx-pubsub/testing and rx-pubsub/blocks, publishes and handles an event, cannot require internals', async () => {
    const project = await commonJsProject('cjs-script');
    await writeFile(
      join(project, 'app.cjs'),
      `const { EventBus, createEvent } = require('rx-pubsub');
const testing = require('rx-pubsub/testing');
const blocks = require('rx-pubsub/blocks');
async function main() {
  const bus = await EventBus.connect({ url: 'memory://commonjs-script', queue: 'q' });
  const seen = [];
  bus.handle('order.created', (event) => { seen.push(event.data.order_id); });
  await bus.ready();
  await bus.publish(createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1' } }));
  while (bus.stats().acked < 1) await new Promise((r) => setTimeout(r, 5));
  await bus.close();
  const internals = {};
  for (const path of ${JSON.stringify(INTERNAL_PATHS)}) {
    try { require(path); internals[path] = 'requirable'; } catch (error) { internals[path] = error.code; }
  }
  console.log(JSON.stringify({
    seen, testBus: typeof testing.testBus, memoryUrl: typeof testing.memoryUrl,
    bindingKeys: blocks.bindingKeysOf('order.*'), memoryTransport: typeof blocks.MemoryTransport, internals,
  }));
}
main().catch((error) => { console.error(error); process.exitCode = 1; });
`,
    );
    const outcome = await run(process.execPath, ['app.cjs'], project);
    expect(outcome.code, show(outcome)).toBe(0);
    expect(JSON.parse(outcome.stdout)).toEqual({
      seen: ['A1'],
      testBus: 'function',
      memoryUrl: 'function',
      bindingKeys: ['order.#'],
      memoryTransport: 'function',
      internals: Object.fromEntries(INTERNAL_PATHS.map((path) => [path, 'ERR_PACKAGE_PATH_NOT_EXPORTED'])),
    });
  }, 30_000);

  // NestJS's classic tsconfig: module commonjs, which implies moduleResolution node10
  // (exports ignored: `types` and `typesVersions` give the types). node20 and
  // nodenext (TypeScript >= 5.8) read `exports` and accept require() of an ES module.
  const supported = [
    { name: 'commonjs (node10)', compilerOptions: { module: 'commonjs', target: 'ES2021' } },
    { name: 'node20', compilerOptions: { module: 'node20', target: 'ES2022' } },
    { name: 'nodenext', compilerOptions: { module: 'nodenext', target: 'ES2022' } },
  ];

  const main = `import { EventBus, createEvent, defineEvent, type Event } from 'rx-pubsub';
import { memoryUrl, testBus } from 'rx-pubsub/testing';
import { compilePattern, type Pattern } from 'rx-pubsub/blocks';

const OrderCreated = defineEvent('order', 'created');

async function main(): Promise<void> {
  const bus = await EventBus.connect({ url: 'memory://commonjs-ts', queue: 'q' });
  const seen: string[] = [];
  bus.handle(OrderCreated.routingKey, (event: Event) => {
    seen.push(JSON.stringify(event.data));
  });
  await bus.ready();
  await bus.publish(createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1' } }));
  while (bus.stats().acked < 1) await new Promise((r) => setTimeout(r, 5));
  await bus.close();
  const usesRequire = typeof require === 'function' && typeof module === 'object';
  const pattern: Pattern = compilePattern('order.*');
  console.log(JSON.stringify({ seen, usesRequire, testBus: typeof testBus, memoryUrl: typeof memoryUrl, keys: pattern.bindingKeys }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;

  it.each(supported)(
    'package - a TypeScript project compiled to CommonJS with module $name type-checks and runs',
    async ({ name, compilerOptions }) => {
      const project = await commonJsProject(`ts-${name.split(' ')[0] ?? name}`);
      await writeFile(join(project, 'main.ts'), main);
      await writeFile(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { ...compilerOptions, strict: true, outDir: 'out', types: ['node'], skipLibCheck: false },
          files: ['main.ts'],
        }),
      );
      const compiled = await run(TSC, ['-p', 'tsconfig.json', '--pretty', 'false'], project);
      expect(compiled.code, show(compiled)).toBe(0);
      const outcome = await run(process.execPath, [join('out', 'main.js')], project);
      expect(outcome.code, show(outcome)).toBe(0);
      expect(JSON.parse(outcome.stdout)).toEqual({
        seen: ['{"order_id":"A1"}'],
        usesRequire: true,
        testBus: 'function',
        memoryUrl: 'function',
        keys: ['order.#'],
      });
    },
    60_000,
  );

  // Documents the limit stated in the README: node16 (and node18) keep refusing
  // a require() of an ES module at type level, whatever the package declares.
  it('package - module node16 refuses to require() the ES module package (TS1479): use node20, nodenext or commonjs', async () => {
    const project = await commonJsProject('ts-node16');
    await writeFile(join(project, 'main.ts'), main);
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'node16', target: 'ES2022', strict: true, noEmit: true, types: ['node'] },
        files: ['main.ts'],
      }),
    );
    const compiled = await run(TSC, ['-p', 'tsconfig.json', '--pretty', 'false'], project);
    expect(compiled.code, show(compiled)).not.toBe(0);
    expect(compiled.stdout).toMatch(/error TS1479: .*import\("rx-pubsub"\)/);
  }, 60_000);
});
