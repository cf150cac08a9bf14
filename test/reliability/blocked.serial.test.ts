import { describe, expect, it } from 'vitest';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { type Event } from '../../src/index.js';
import { rabbitmqctl } from '../support/broker.js';
import { collectSettlements, connectBus, names, orderEvent, statesOf, teardown, TRANSPORTS, waitFor, waitForCount } from '../support/rig.js';

// Serial: on RabbitMQ the memory alarm blocks every publishing connection of the broker.

/** RabbitMQ's default, restored whatever happens. */
const DEFAULT_WATERMARK = '0.4';

/** A resource alarm on the broker behind `url`: a memory alarm on RabbitMQ, `block()` on memory. Cleared when the test ends. */
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

describe.each(TRANSPORTS)('blocked connection (%s)', (_kind, makeUrl) => {
  it('blocked connection - a memory alarm shows as blocked on state$; publishes made meanwhile wait and go out when it clears', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('blocked');
    const bus = await connectBus({ url, exchange, queue, publishTimeoutMs: 15_000 });
    const states = statesOf(bus);
    const settlements = collectSettlements(bus);
    const handled: Event[] = [];
    bus.handle('order.created', (event) => void handled.push(event));
    await bus.ready();
    await bus.publish(orderEvent()); // warm: the publishing connection has published once
    await waitForCount(handled, 1, 'handled events');
    const alarm = resourceAlarm(url);

    try {
      await alarm.raise();
      // RabbitMQ blocks a connection (and says so) on its first publish after the alarm; memory blocks at once.
      const event = orderEvent('created', { n: 2 });
      const later = orderEvent('created', { n: 3 });
      const outcomes = new Map<string, string>();
      const track = (e: Event): Promise<void> =>
        bus.publish(e).then(
          () => void outcomes.set(e.id, 'confirmed'),
          (error: unknown) => void outcomes.set(e.id, `rejected: ${String(error)}`),
        );
      const publishing = [track(event)];
      await waitFor(() => states.at(-1) === 'blocked', { timeoutMs: 10_000, description: `state$ to emit blocked (states: ${states.join(' → ')})` });
      publishing.push(track(later)); // made while the bus knows it is blocked: held in the bus
      // Nothing but time can show "still pending": give a confirm ample time to come, if it would.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect([...outcomes]).toEqual([]);
      expect(handled).toHaveLength(1);

      await alarm.clear();
      await waitFor(() => states.at(-1) === 'connected', { timeoutMs: 10_000, description: `state$ back to connected (states: ${states.join(' → ')})` });
      await Promise.all(publishing);
      expect(outcomes.get(event.id)).toBe('confirmed');
      expect(outcomes.get(later.id)).toBe('confirmed');
      await waitForCount(handled, 3, 'handled events');
      expect(handled.slice(1).map((e) => e.id).sort()).toEqual([event.id, later.id].sort());
      expect(settlements.map((s) => s.outcome.kind)).toEqual(['ack', 'ack', 'ack']);
      expect(states).toContain('blocked');
    } finally {
      await alarm.clear();
    }
  });
});
