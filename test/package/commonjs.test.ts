/**
 * CommonJS consumers of the packed package: a plain `.cjs` script using
 * `require()` (Node >= 20.19 and 22.12 load an ES module that way), and
 * TypeScript projects compiled to CommonJS with the repository's tsc, each
 * type-checked and then run. The tarball is the run's one pack
 * (test/support/packed-package.ts), installed in each project.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, it } from 'vitest';
import { PACK_TIMEOUT_MS, TSC, packedPackage, userProject } from '../support/packed-package.js';
import { runCommand, show } from '../support/run-command.js';

/** Files that exist in the package, none of them an entry point. */
const INTERNAL_PATHS = ['rx-pubsub-amqp/dist/core/run-handler.js', 'rx-pubsub-amqp/dist/index.js', 'rx-pubsub-amqp/internal/errors.js'];

/** tsc checking the package's declarations with @types/node and rxjs: 25 s alone on a loaded two-core machine, more side by side. */
const COMPILE_TIMEOUT_MS = 180_000;

/** A CommonJS project (package.json without `"type"`) with rx-pubsub-amqp installed. */
function commonJsProject(name: string): Promise<string> {
  return userProject(name, { type: 'commonjs' });
}

beforeAll(async () => {
  await packedPackage();
}, PACK_TIMEOUT_MS);

// Concurrent: each test waits on a tsc or node of its own, so two cores compile two projects at once.
describe.concurrent('package (CommonJS)', () => {
  it('package - a .cjs script require()s rx-pubsub-amqp, rx-pubsub-amqp/testing and rx-pubsub-amqp/blocks, publishes and handles an event, cannot require internals', async ({
    expect,
  }) => {
    const project = await commonJsProject('cjs-script');
    await writeFile(
      join(project, 'app.cjs'),
      `const { EventBus, createEvent } = require('rx-pubsub-amqp');
const testing = require('rx-pubsub-amqp/testing');
const blocks = require('rx-pubsub-amqp/blocks');
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
    const outcome = await runCommand(process.execPath, ['app.cjs'], project);
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
  const supported: { name: string; compilerOptions: Record<string, string> }[] = [
    { name: 'commonjs (node10)', compilerOptions: { module: 'commonjs', target: 'ES2021' } },
    { name: 'node20', compilerOptions: { module: 'node20', target: 'ES2022' } },
    { name: 'nodenext', compilerOptions: { module: 'nodenext', target: 'ES2022' } },
  ];

  const main = `import { EventBus, createEvent, defineEvent, type Event } from 'rx-pubsub-amqp';
import { memoryUrl, testBus } from 'rx-pubsub-amqp/testing';
import { compilePattern, type Pattern } from 'rx-pubsub-amqp/blocks';

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

  it.for(supported)(
    'package - a TypeScript project compiled to CommonJS with module $name type-checks and runs',
    { timeout: COMPILE_TIMEOUT_MS },
    async ({ name, compilerOptions }, { expect }) => {
      const project = await commonJsProject(`ts-${name.split(' ')[0] ?? name}`);
      await writeFile(join(project, 'main.ts'), main);
      await writeFile(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { ...compilerOptions, strict: true, outDir: 'out', types: ['node'], skipLibCheck: false },
          files: ['main.ts'],
        }),
      );
      const compiled = await runCommand(TSC, ['-p', 'tsconfig.json', '--pretty', 'false'], project, COMPILE_TIMEOUT_MS);
      expect(compiled.code, show(compiled)).toBe(0);
      const outcome = await runCommand(process.execPath, [join('out', 'main.js')], project);
      expect(outcome.code, show(outcome)).toBe(0);
      expect(JSON.parse(outcome.stdout)).toEqual({
        seen: ['{"order_id":"A1"}'],
        usesRequire: true,
        testBus: 'function',
        memoryUrl: 'function',
        keys: ['order.#'],
      });
    },
  );

  // Documents the limit stated in the README: node16 (and node18) keep refusing
  // a require() of an ES module at type level, whatever the package declares.
  it(
    'package - module node16 refuses to require() the ES module package (TS1479): use node20, nodenext or commonjs',
    async ({ expect }) => {
      const project = await commonJsProject('ts-node16');
      await writeFile(join(project, 'main.ts'), main);
      await writeFile(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          // The refusal is in main.ts: checking the libraries' declarations would only cost time.
          compilerOptions: { module: 'node16', target: 'ES2022', strict: true, noEmit: true, types: ['node'], skipLibCheck: true },
          files: ['main.ts'],
        }),
      );
      const compiled = await runCommand(TSC, ['-p', 'tsconfig.json', '--pretty', 'false'], project, COMPILE_TIMEOUT_MS);
      expect(compiled.code, show(compiled)).not.toBe(0);
      expect(compiled.stdout).toMatch(/error TS1479: .*import\("rx-pubsub-amqp"\)/);
    },
    COMPILE_TIMEOUT_MS,
  );
});
