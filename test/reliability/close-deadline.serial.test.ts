import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConnectionError, ErrorCode } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { rabbitmqctl, uniqueName } from '../support/broker.js';
import { connectBus, expectRxError, names, orderEvent, statesOf, teardown, TRANSPORTS, waitFor } from '../support/rig.js';

// Serial: on RabbitMQ the memory alarm blocks every publishing connection of the broker.

/** RabbitMQ's default, restored whatever happens. */
const DEFAULT_WATERMARK = '0.4';

/** A resource alarm on the broker behind `url`, cleared when the test ends (and by `clear`). */
function resourceAlarm(url: string): { raise(): Promise<void>; clear(): Promise<void> } {
  if (url.startsWith('memory://')) {
    const broker = MemoryBroker.named(new URL(url).host);
    teardown(() => broker.unblock());
    return { raise: async () => broker.block('memory alarm (test)'), clear: async () => broker.unblock() };
  }
  teardown(() => rabbitmqctl('set_vm_memory_high_watermark', DEFAULT_WATERMARK));
  return {
    raise: async () => void (await rabbitmqctl('set_vm_memory_high_watermark', '0.0000001')),
    clear: async () => void (await rabbitmqctl('set_vm_memory_high_watermark', DEFAULT_WATERMARK)),
  };
}

/**
 * How many connections named `name` are still open on this side. RabbitMQ may still list a
 * destroyed one while blocked (it reads nothing from it, so it does not see the close):
 * what counts is that our end of it is gone. 0 on memory.
 */
async function openConnections(url: string, name: string): Promise<number> {
  if (url.startsWith('memory://')) return 0;
  const stdout = await rabbitmqctl('list_connections', 'peer_port', 'client_properties', '--quiet', '--no-table-headers');
  const ports = stdout.split('\n').filter((line) => line.includes(name)).map((line) => line.split('\t')[0]);
  const { stdout: sockets } = await promisify(execFile)('ss', ['-tnH', 'state', 'established']);
  return ports.filter((port) => sockets.split('\n').some((line) => line.split(/\s+/)[2]?.endsWith(`:${port}`))).length;
}

describe.each(TRANSPORTS)('close deadline (%s)', (_kind, makeUrl) => {
  it('close deadline - during a memory alarm, close({ timeoutMs }) resolves by then: held publishes reject CLOSED, connections are gone', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('close-alarm');
    const connectionName = uniqueName('close-alarm');
    const bus = await connectBus({ url, exchange, queue, connectionName, publishTimeoutMs: 30_000 });
    const states = statesOf(bus);
    bus.handle('order.created', () => undefined);
    await bus.ready();
    await bus.publish(orderEvent()); // warm: the publishing connection has published once
    const alarm = resourceAlarm(url);
    try {
      await alarm.raise();
      // RabbitMQ blocks a connection on its first publish after the alarm; memory blocks at once.
      const held = bus.publish(orderEvent('created', { n: 2 }));
      held.catch(() => undefined);
      await waitFor(() => states.at(-1) === 'blocked', { timeoutMs: 10_000, description: `state$ to emit blocked (states: ${states.join(' → ')})` });

      const started = Date.now();
      await bus.close({ timeoutMs: 2_000 });
      expect(Date.now() - started).toBeLessThan(3_500);
      const error = await expectRxError(held, ConnectionError, ErrorCode.CLOSED);
      expect(error.message).toMatch(/deadline/);
      expect(states.at(-1)).toBe('closed');
      expect(await openConnections(url, connectionName)).toBe(0);
    } finally {
      await alarm.clear();
    }
  });
});
