import { describe, expect, it } from 'vitest';
import { createEvent, type Event } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import {
  brokerView,
  collectSettlements,
  connectBus,
  gate,
  names,
  orderEvent,
  TRANSPORTS,
  waitFor,
  waitForCount,
  waitForDepth,
} from '../support/bus.js';

describe.each(TRANSPORTS)('delivery (%s)', (kind, makeUrl) => {
  it('delivery - every matching handler runs, concurrently: two handlers waiting for each other both succeed', async () => {
    const url = makeUrl();
    const bus = await connectBus({ url, ...names('concurrent'), handlerTimeoutMs: 2_000 });
    const settlements = collectSettlements(bus);
    const a = gate();
    const b = gate();
    bus.handle('order.*', async () => {
      a.open();
      await b.promise; // deadlocks (then times out) if the handlers ran one after the other
    });
    bus.handle('*.created', async () => {
      b.open();
      await a.promise;
    });
    bus.handle('order.{created,paid}', () => undefined);
    await bus.ready();
    await bus.publish(orderEvent());
    await waitForCount(settlements, 1, 'settlements');
    expect(settlements[0]?.outcome).toEqual({ kind: 'ack', handlers: 3 });
  });

  it('delivery - glob patterns route end to end through the broker bindings (`*` crosses dots)', async () => {
    const url = makeUrl();
    const { exchange } = names('globs');
    const keys = ['order.created', 'order.paid', 'order.shipped', 'user.created', 'user.deleted'];
    const expected: Record<string, string[]> = {
      'order.created': ['order.created'],
      'order.*': ['order.created', 'order.paid', 'order.shipped'],
      '*.created': ['order.created', 'user.created'],
      '*': keys,
      'order.{created,paid}': ['order.created', 'order.paid'],
      'ord*': ['order.created', 'order.paid', 'order.shipped'],
      '*d': ['order.created', 'order.paid', 'order.shipped', 'user.created', 'user.deleted'],
      '*r.*e*': ['order.created', 'order.shipped', 'user.created', 'user.deleted'],
      'user.?????ed': ['user.created', 'user.deleted'],
    };
    const seen = new Map<string, string[]>();
    const buses = [];
    for (const pattern of Object.keys(expected)) {
      const bus = await connectBus({ url, exchange, queue: names('globs').queue });
      const got: string[] = [];
      seen.set(pattern, got);
      bus.handle(pattern, (event) => void got.push(`${event.domain}.${event.action}`));
      buses.push(bus);
    }
    await Promise.all(buses.map((bus) => bus.ready()));
    const [publisher] = buses;
    for (const key of keys) {
      const [domain = '', action = ''] = key.split('.');
      await publisher!.publish(createEvent({ domain, action, data: {} }));
    }
    const total = Object.values(expected).reduce((n, list) => n + list.length, 0);
    await waitFor(() => [...seen.values()].reduce((n, list) => n + list.length, 0) >= total, { description: `${total} handled events` });
    for (const [pattern, keysSeen] of seen) expect(keysSeen.sort(), pattern).toEqual([...expected[pattern]!].sort());
  });

  it('delivery - prefetch bounds the deliveries in flight; the rest wait on the broker', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('prefetch');
    const bus = await connectBus({ url, exchange, queue, prefetch: 4 });
    const release = gate();
    let running = 0;
    let most = 0;
    bus.handle('order.*', async () => {
      running++;
      most = Math.max(most, running);
      await release.promise;
      running--;
    });
    await bus.ready();
    await Promise.all(Array.from({ length: 20 }, (_, i) => bus.publish(orderEvent('created', { n: i }))));

    const view = await brokerView(url);
    await waitFor(() => running === 4, { description: '4 handlers running' });
    await waitForDepth(view, queue, 16);
    if (kind === 'memory') expect(MemoryBroker.named(new URL(url).host).unackedCount(queue)).toBe(4);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(running).toBe(4);

    release.open();
    await waitFor(() => bus.stats().acked === 20, { description: 'all 20 acked' });
    expect(most).toBe(4);
    expect(await view.depth(queue)).toBe(0);
  });

  // Only a queue exclusive to the bus is unbound by an unsubscribe: a shared one keeps its bindings (test/reliability/shared-queue.test.ts).
  it('delivery - unsubscribing a handler on an exclusive queue stops it and removes its binding', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('unhandle');
    const bus = await connectBus({ url, exchange, queue, queueOptions: { exclusive: true } });
    const settlements = collectSettlements(bus);
    const paid: Event[] = [];
    const created: Event[] = [];
    const paidHandler = bus.handle('order.paid', (event) => void paid.push(event));
    bus.handle('order.created', (event) => void created.push(event));
    await bus.ready();
    await bus.publish(orderEvent('paid'));
    await waitForCount(paid, 1, 'paid events');

    paidHandler.unsubscribe();
    await bus.ready();
    await bus.publish(orderEvent('paid'));
    const last = orderEvent('created');
    await bus.publish(last);
    await waitForCount(created, 1, 'created events');
    // The second paid event was not even routed to the queue: no settlement, no unhandled count.
    await waitFor(() => settlements.length >= 2, { description: 'two settlements' });
    expect(settlements.map((s) => s.event?.action)).toEqual(['paid', 'created']);
    expect(paid).toHaveLength(1);
    expect(bus.stats().unhandled).toBe(0);
  });

  it('delivery - a 1 MB event makes the round trip intact', async () => {
    const url = makeUrl();
    const bus = await connectBus({ url, ...names('big') });
    const seen: Event[] = [];
    bus.handle('blob.stored', (event) => void seen.push(event));
    await bus.ready();
    const chunk = 'é✓x'.repeat(1_000);
    const event = createEvent({ domain: 'blob', action: 'stored', data: { parts: Array.from({ length: 200 }, () => chunk) } });
    await bus.publish(event);
    await waitForCount(seen, 1, 'the big event');
    expect(seen[0]).toEqual(event);
  });
});
