import { execFile } from 'node:child_process';
import { chmod, mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

/** Files that exist in the built package (or its source), none of them an entry point. */
const INTERNAL_PATHS = [
  'rx-pubsub/dist/core/run-handler.js',
  'rx-pubsub/dist/bus/event-bus.js',
  'rx-pubsub/dist/index.js',
  'rx-pubsub/core/run-handler.js',
  'rx-pubsub/src/index.ts',
  'rx-pubsub/internal/errors.js',
];

// A separate project importing the built package by name, as a user would after `npm run build`.
describe('package', () => {
  beforeAll(async () => {
    await run('npm', ['run', 'build'], { cwd: root, timeout: 60_000 });
  }, 90_000);

  it('package - a separate project imports EventBus, createEvent and defineEvent, and rx-pubsub/blocks, from the build, not internals', async () => {
    const project = await mkdtemp(join(tmpdir(), 'rx-pubsub-user-'));
    try {
      await mkdir(join(project, 'node_modules'));
      await symlink(root, join(project, 'node_modules', 'rx-pubsub'), 'dir');
      await writeFile(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
      await writeFile(
        join(project, 'app.mjs'),
        `import { EventBus, createEvent, defineEvent } from 'rx-pubsub';
import { bindingKeysOf, MemoryTransport, processDeliveries } from 'rx-pubsub/blocks';
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
      const { stdout } = await run('node', ['app.mjs'], { cwd: project, timeout: 20_000 });
      expect(JSON.parse(stdout)).toEqual({
        seen: ['A1', 'A2'],
        blocks: { bindingKeys: ['order.#'], memoryTransport: 'function', processDeliveries: 'function' },
        internals: Object.fromEntries(INTERNAL_PATHS.map((path) => [path, 'ERR_PACKAGE_PATH_NOT_EXPORTED'])),
      });
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  }, 90_000);

  it('package - the bin entry rx-pubsub is the built CLI: a node shebang, it runs as npm links it, and reads a catalog importing the package', async () => {
    const project = await mkdtemp(join(tmpdir(), 'rx-pubsub-bin-'));
    try {
      await mkdir(join(project, 'node_modules', '.bin'), { recursive: true });
      await symlink(root, join(project, 'node_modules', 'rx-pubsub'), 'dir');
      await writeFile(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
      const pkg = JSON.parse(await readFile(join(project, 'node_modules', 'rx-pubsub', 'package.json'), 'utf8')) as {
        version: string;
        bin: Record<string, string>;
      };
      const bin = resolve(root, pkg.bin['rx-pubsub'] ?? '');
      expect(bin).toBe(join(root, 'dist', 'cli', 'main.js'));
      expect((await readFile(bin, 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
      // What `npm install` does for a bin: an executable file linked from node_modules/.bin.
      await chmod(bin, 0o755);
      await symlink('../rx-pubsub/dist/cli/main.js', join(project, 'node_modules', '.bin', 'rx-pubsub'));
      const rxPubsub = join(project, 'node_modules', '.bin', 'rx-pubsub');
      expect((await run(rxPubsub, ['--version'], { cwd: project, timeout: 20_000 })).stdout.trim()).toBe(pkg.version);
      await writeFile(
        join(project, 'events.mjs'),
        `import { defineEvent } from 'rx-pubsub';\nexport const EVENTS = [defineEvent('order', 'created'), defineEvent('order', 'paid')];\n`,
      );
      const { stdout } = await run(rxPubsub, ['asyncapi', 'events.mjs', '--json'], { cwd: project, timeout: 20_000 });
      expect(Object.keys((JSON.parse(stdout) as { channels: object }).channels)).toEqual(['order.created', 'order.paid']);
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  }, 60_000);
});
