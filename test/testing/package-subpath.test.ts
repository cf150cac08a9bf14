/**
 * `rx-pubsub-amqp/testing` as a separate project imports it: the run's packed
 * package (test/support/packed-package.ts) installed, found through
 * `package.json` `exports` by Node and by tsc, with its internals unreachable.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { PACK_TIMEOUT_MS, TSC, userProject } from '../support/packed-package.js';
import { commandOutput } from '../support/run-command.js';

const APP = `import { createEvent } from 'rx-pubsub-amqp';
import { memoryBroker, MemoryBroker, routeMarbles, testBus, type SettlementLetter } from 'rx-pubsub-amqp/testing';

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
  await import('rx-pubsub-amqp/testing/route-marbles.js' as string);
} catch (error) {
  internal = (error as { code: string }).code;
}
console.log(JSON.stringify({ queues, letter, routeMarbles: typeof routeMarbles, shared: broker === memoryBroker(\`memory://\${broker.name}\`) && broker instanceof MemoryBroker, internal }));
`;

it(
  'package - a separate project imports rx-pubsub-amqp/testing from the package, typed, and cannot reach its internals',
  async () => {
    const project = await userProject('testing-user');
    await writeFile(join(project, 'app.ts'), APP);
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: true,
        types: ['node'],
        outDir: 'out',
      },
      files: ['app.ts'],
    };
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));

    await commandOutput(TSC, ['-p', project], project, 60_000);
    const stdout = await commandOutput(process.execPath, ['out/app.js'], project, 20_000);

    expect(JSON.parse(stdout)).toEqual({
      queues: ['billing', 'billing.dlq'],
      letter: 'a',
      routeMarbles: 'function',
      shared: true,
      internal: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    });
  },
  PACK_TIMEOUT_MS + 90_000,
);
