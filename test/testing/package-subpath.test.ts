/**
 * `rx-pubsub/testing` as a separate project imports it: built (into a
 * directory of its own, so that no other test's build races with it), found
 * through `package.json` `exports` by Node and by tsc, with its internals
 * unreachable.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const DEPENDENCIES = ['rxjs', 'amqplib', 'amqp-connection-manager', 'minimatch'];

const APP = `import { createEvent } from 'rx-pubsub';
import { memoryBroker, MemoryBroker, routeMarbles, testBus, type SettlementLetter } from 'rx-pubsub/testing';

const bus = await testBus({ queue: 'billing' });
bus.handle('order.*', () => undefined);
await bus.ready();
await bus.publish(createEvent({ domain: 'order', action: 'paid', data: { order_id: 'A1' } }));
while (bus.stats().acked < 1) await new Promise((r) => setTimeout(r, 5));
const broker: MemoryBroker = memoryBroker(bus);
const letter: SettlementLetter = 'a';
const queues = broker.queueNames().sort();
await bus.close();
let internal = 'importable';
try {
  await import('rx-pubsub/testing/route-marbles.js' as string);
} catch (error) {
  internal = (error as { code: string }).code;
}
console.log(JSON.stringify({ queues, letter, routeMarbles: typeof routeMarbles, shared: broker === memoryBroker(\`memory://\${broker.name}\`) && broker instanceof MemoryBroker, internal }));
`;

it('package - a separate project imports rx-pubsub/testing from the build, typed, and cannot reach its internals', async () => {
  const project = await mkdtemp(join(tmpdir(), 'rx-pubsub-testing-user-'));
  try {
    const pkg = join(project, 'node_modules', 'rx-pubsub');
    await mkdir(pkg, { recursive: true });
    await cp(join(root, 'package.json'), join(pkg, 'package.json'));
    await run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], { cwd: root, timeout: 90_000 });
    for (const name of DEPENDENCIES) await symlink(join(root, 'node_modules', name), join(project, 'node_modules', name), 'dir');
    await symlink(join(root, 'node_modules', '@types'), join(project, 'node_modules', '@types'), 'dir');
    await writeFile(join(project, 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(join(project, 'app.ts'), APP);
    const tsconfig = { compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, types: ['node'], outDir: 'out' }, files: ['app.ts'] };
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));

    await run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', project], { cwd: project, timeout: 60_000 });
    const { stdout } = await run('node', ['out/app.js'], { cwd: project, timeout: 20_000 });

    expect(JSON.parse(stdout)).toEqual({
      queues: ['billing', 'billing.dlq'],
      letter: 'a',
      routeMarbles: 'function',
      shared: true,
      internal: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    });
  } finally {
    await rm(project, { recursive: true, force: true });
  }
}, 120_000);
