/**
 * The packed package (the run's one pack, test/support/packed-package.ts)
 * installed in a separate project, imported by name as a user would, and its
 * command run as npm links it.
 */
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_NAME, PACK_TIMEOUT_MS, packedPackage, userProject } from '../support/packed-package.js';
import { commandOutput } from '../support/run-command.js';

/** Files that exist in the package, none of them an entry point. */
const INTERNAL_PATHS = [
  'rx-pubsub-amqp/dist/core/run-handler.js',
  'rx-pubsub-amqp/dist/bus/event-bus.js',
  'rx-pubsub-amqp/dist/index.js',
  'rx-pubsub-amqp/core/run-handler.js',
  'rx-pubsub-amqp/src/index.ts',
  'rx-pubsub-amqp/internal/errors.js',
];

/** The names `npx` finds the command under: the brand and the package's name. */
const BIN_NAMES = ['rx-pubsub', 'rx-pubsub-amqp'];

beforeAll(async () => {
  await packedPackage();
}, PACK_TIMEOUT_MS);

describe('package', () => {
  it('package - a separate project imports EventBus, createEvent and defineEvent, and rx-pubsub-amqp/blocks, from the package, not internals', async () => {
    const project = await userProject('user');
    await writeFile(
      join(project, 'app.mjs'),
      `import { EventBus, createEvent, defineEvent } from 'rx-pubsub-amqp';
import { bindingKeysOf, MemoryTransport, processDeliveries } from 'rx-pubsub-amqp/blocks';
const bus = await EventBus.connect({ url: 'memory://package-test', queue: 'q' });
const OrderCreated = defineEvent('order', 'created');
const seen = [];
bus.handle(OrderCreated.routingKey, (event) => { seen.push(event.data.order_id); });
await bus.ready();
await bus.publish(OrderCreated.create({ order_id: 'A1' }));
await bus.publish(createEvent({ domain: 'order', action: 'created', data: { order_id: 'A2' } }));
while (bus.stats().acked < 2) await new Promise((r) => setTimeout(r, 5));
await bus.close();
const blocks = { bindingKeys: bindingKeysOf('order.*'), memoryTransport: typeof MemoryTransport, processDeliveries: typeof processDeliveries };
const internals = {};
for (const path of ${JSON.stringify(INTERNAL_PATHS)}) {
  try { await import(path); internals[path] = 'importable'; } catch (error) { internals[path] = error.code; }
}
console.log(JSON.stringify({ seen, blocks, internals }));`,
    );
    expect(JSON.parse(await commandOutput(process.execPath, ['app.mjs'], project, 20_000))).toEqual({
      seen: ['A1', 'A2'],
      blocks: { bindingKeys: ['order.#'], memoryTransport: 'function', processDeliveries: 'function' },
      internals: Object.fromEntries(INTERNAL_PATHS.map((path) => [path, 'ERR_PACKAGE_PATH_NOT_EXPORTED'])),
    });
  }, 60_000);

  it.each(BIN_NAMES)(
    'package - the bin entry %s is the built CLI: a node shebang, it runs as npm links it, and reads a catalog importing the package',
    async (name) => {
      const project = await userProject(`bin-${name}`);
      const installed = join(project, 'node_modules', PACKAGE_NAME);
      const pkg = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
      expect(pkg.bin[name]).toBe('./dist/cli/main.js');
      const bin = join(installed, 'dist', 'cli', 'main.js');
      expect((await readFile(bin, 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
      // What `npm install` does for a bin: the file made executable, linked from node_modules/.bin.
      await chmod(bin, 0o755);
      await mkdir(join(project, 'node_modules', '.bin'));
      await symlink(`../${PACKAGE_NAME}/dist/cli/main.js`, join(project, 'node_modules', '.bin', name));
      const command = join(project, 'node_modules', '.bin', name);
      expect((await commandOutput(command, ['--version'], project, 20_000)).trim()).toBe(pkg.version);
      await writeFile(
        join(project, 'events.mjs'),
        `import { defineEvent } from 'rx-pubsub-amqp';\nexport const EVENTS = [defineEvent('order', 'created'), defineEvent('order', 'paid')];\n`,
      );
      const stdout = await commandOutput(command, ['asyncapi', 'events.mjs', '--json'], project, 20_000);
      expect(Object.keys((JSON.parse(stdout) as { channels: object }).channels)).toEqual(['order.created', 'order.paid']);
    },
    60_000,
  );
});
