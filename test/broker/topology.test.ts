import { describe, expect, it } from 'vitest';
import { type Event } from '../../src/index.js';
import { bindingKeysOf } from '../../src/blocks.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { rabbitmqctl } from '../support/broker.js';
import {
  amqpUrl,
  brokerView,
  collectSettlements,
  connectBus,
  names,
  orderEvent,
  rawChannel,
  TRANSPORTS,
  waitFor,
  waitForCount,
  waitForDepth,
} from '../support/bus.js';

/** The routing keys binding `queue` to `exchange`, as the broker sees them. */
async function bindingsOf(kind: 'amqp' | 'memory', url: string, exchange: string, queue: string): Promise<string[]> {
  if (kind === 'memory') {
    return MemoryBroker.named(new URL(url).host)
      .bindings(queue)
      .filter((b) => b.exchange === exchange)
      .map((b) => b.routingKey)
      .sort();
  }
  const stdout = await rabbitmqctl('list_bindings', 'source_name', 'destination_name', 'routing_key', '--formatter', 'json', '--quiet');
  const rows = JSON.parse(stdout) as { source_name: string; destination_name: string; routing_key: string }[];
  return rows.filter((r) => r.source_name === exchange && r.destination_name === queue).map((r) => r.routing_key).sort();
}

interface QueueFlags {
  durable: boolean;
  exclusive: boolean;
  auto_delete: boolean;
}

/** Every queue's flags, by name, from one `rabbitmqctl list_queues`. */
async function amqpQueueFlags(): Promise<Map<string, QueueFlags>> {
  const stdout = await rabbitmqctl('list_queues', 'name', 'durable', 'exclusive', 'auto_delete', '--formatter', 'json', '--quiet');
  const rows = JSON.parse(stdout) as { name: string; durable: boolean; exclusive: boolean | ''; auto_delete: boolean }[];
  // A quorum queue cannot be exclusive: rabbitmqctl lists its `exclusive` as "".
  return new Map(rows.map(({ name, exclusive, ...flags }) => [name, { ...flags, exclusive: exclusive === true }]));
}

describe.each(TRANSPORTS)('topology (%s)', (kind, makeUrl) => {
  it('topology - pub/sub: two buses on different queues each get every matching event', async () => {
    const url = makeUrl();
    const { exchange } = names('pubsub');
    const a = await connectBus({ url, exchange, queue: names('pubsub-a').queue });
    const b = await connectBus({ url, exchange, queue: names('pubsub-b').queue });
    const seenA: string[] = [];
    const seenB: string[] = [];
    a.handle('order.*', (e) => void seenA.push(e.id));
    b.handle('*.created', (e) => void seenB.push(e.id));
    await Promise.all([a.ready(), b.ready()]);

    const created = Array.from({ length: 10 }, (_, i) => orderEvent('created', { n: i }));
    const paid = Array.from({ length: 5 }, (_, i) => orderEvent('paid', { n: i }));
    for (const event of [...created, ...paid]) await a.publish(event);

    await waitForCount(seenA, 15, 'events on bus A');
    await waitForCount(seenB, 10, 'events on bus B');
    expect(new Set(seenA)).toEqual(new Set([...created, ...paid].map((e) => e.id)));
    expect(new Set(seenB)).toEqual(new Set(created.map((e) => e.id)));
  });

  it('topology - competing consumers: two buses on one queue share the work, each event handled once', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('compete');
    const a = await connectBus({ url, exchange, queue, prefetch: 1 });
    const b = await connectBus({ url, exchange, queue, prefetch: 1 });
    const seenA: string[] = [];
    const seenB: string[] = [];
    const slow = (seen: string[]) => async (event: Event) => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      seen.push(event.id);
    };
    a.handle('order.*', slow(seenA));
    b.handle('order.*', slow(seenB));
    await Promise.all([a.ready(), b.ready()]);

    const events = Array.from({ length: 40 }, (_, i) => orderEvent('created', { n: i }));
    await Promise.all(events.map((event) => a.publish(event)));
    await waitFor(() => seenA.length + seenB.length >= 40, { timeoutMs: 10_000, description: '40 events across both buses' });

    expect(seenA.length).toBeGreaterThan(0);
    expect(seenB.length).toBeGreaterThan(0);
    const all = [...seenA, ...seenB];
    expect(all).toHaveLength(40);
    expect(new Set(all)).toEqual(new Set(events.map((e) => e.id)));
    expect(a.stats().acked + b.stats().acked).toBe(40);
  });

  // Only a queue exclusive to the bus is unbound by an unsubscribe: a shared one keeps its bindings (test/reliability/shared-queue.test.ts).
  it('topology - on$ on an exclusive queue binds when subscribed and unbinds when unsubscribed', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('on-bind');
    const bus = await connectBus({ url, exchange, queue, queueOptions: { exclusive: true } });
    const settlements = collectSettlements(bus);
    bus.handle('order.created', () => undefined);
    await bus.ready();
    expect(await bindingsOf(kind, url, exchange, queue)).toEqual(['order.created']);

    const streamed: Event[] = [];
    const subscription = bus.on$('user.*').subscribe((e) => streamed.push(e));
    await bus.ready();
    expect(await bindingsOf(kind, url, exchange, queue)).toEqual([...bindingKeysOf('user.*'), 'order.created'].sort());
    const first = { ...orderEvent(), domain: 'user', action: 'registered' } as Event;
    await bus.publish(first);
    await waitForCount(streamed, 1, 'events on the stream');

    subscription.unsubscribe();
    await bus.ready();
    expect(await bindingsOf(kind, url, exchange, queue)).toEqual(['order.created']);
    // Not routed any more: the user event never reaches the queue, the order event does.
    await bus.publish({ ...orderEvent(), domain: 'user', action: 'deleted' } as Event);
    const order = orderEvent();
    await bus.publish(order);
    await waitFor(() => settlements.some((s) => s.event?.id === order.id), { description: 'the order event to be settled' });
    expect(settlements.map((s) => s.event?.action)).toEqual(['registered', 'created']);
    expect(streamed).toHaveLength(1);
  });

  it('topology - unsubscribing on$ keeps a binding a handler (or another stream) still needs', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('on-keep');
    const bus = await connectBus({ url, exchange, queue });
    const handled: Event[] = [];
    bus.handle('order.*', (e) => void handled.push(e));
    const one = bus.on$('order.*').subscribe();
    const two = bus.on$('user.*').subscribe();
    const three = bus.on$('user.*').subscribe();
    await bus.ready();
    const keys = [...bindingKeysOf('order.*'), ...bindingKeysOf('user.*')].sort();
    expect(await bindingsOf(kind, url, exchange, queue)).toEqual(keys);

    one.unsubscribe();
    two.unsubscribe();
    await bus.ready();
    expect(await bindingsOf(kind, url, exchange, queue)).toEqual(keys);
    const event = orderEvent();
    await bus.publish(event);
    await waitForCount(handled, 1, 'handled events');
    three.unsubscribe();
  });

  it('topology - the service queue is durable, not exclusive, not auto-delete by default, and outlives close()', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('default-q');
    const first = await connectBus({ url, exchange, queue });
    first.handle('order.*', () => undefined);
    await first.ready();
    if (kind === 'amqp') {
      const queues = await amqpQueueFlags();
      expect(queues.get(queue)).toMatchObject({ durable: true, exclusive: false, auto_delete: false });
      expect(queues.get(`${queue}.dlq`)).toMatchObject({ durable: true, exclusive: false, auto_delete: false });
    } else {
      // Re-declaring with the expected flags and arguments is accepted only if they match.
      const broker = MemoryBroker.named(new URL(url).host);
      const args = { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': `${queue}.dlq`, 'x-queue-type': 'quorum' };
      expect(() => broker.declareQueue(queue, { durable: true, exclusive: false, autoDelete: false, arguments: args })).not.toThrow();
    }
    await first.close();

    // Still there, still bound: events published while no bus runs wait in it.
    const view = await brokerView(url);
    const publisher = await connectBus({ url, exchange });
    const event = orderEvent();
    await publisher.publish(event);
    await waitForDepth(view, queue, 1);

    const second = await connectBus({ url, exchange, queue });
    const handled: Event[] = [];
    second.handle('order.*', (e) => void handled.push(e));
    await waitForCount(handled, 1, 'the backlog event');
    expect(handled[0]?.id).toBe(event.id);
  });

  it('topology - queueOptions exclusive + autoDelete: the queue disappears after close()', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('excl-q');
    const bus = await connectBus({ url, exchange, queue, queueOptions: { durable: false, exclusive: true, autoDelete: true } });
    const handled: Event[] = [];
    bus.handle('order.*', (e) => void handled.push(e));
    await bus.ready();
    await bus.publish(orderEvent());
    await waitForCount(handled, 1, 'handled events');
    if (kind === 'amqp') {
      // Polled: under load `rabbitmqctl list_queues` can miss a queue for a moment.
      await waitFor(
        async () => {
          const flags = (await amqpQueueFlags()).get(queue);
          return flags?.durable === false && flags.exclusive && flags.auto_delete;
        },
        { description: `${queue} listed as non-durable, exclusive, auto-delete` },
      );
    }
    await bus.close();

    if (kind === 'amqp') {
      await waitFor(async () => !(await amqpQueueFlags()).has(queue), { description: `${queue} to be deleted` });
      const channel = await rawChannel();
      await expect(channel.checkQueue(queue)).rejects.toThrow(/NOT_FOUND/);
    } else {
      expect(MemoryBroker.named(new URL(url).host).hasQueue(queue)).toBe(false);
    }
  });
});

describe('topology (amqp)', () => {
  it('topology - the exchange is a durable topic exchange', async () => {
    const { exchange } = names('exchange');
    await connectBus({ url: amqpUrl(), exchange });
    const stdout = await rabbitmqctl('list_exchanges', 'name', 'type', 'durable', 'auto_delete', '--formatter', 'json', '--quiet');
    const row = (JSON.parse(stdout) as { name: string }[]).find((r) => r.name === exchange);
    expect(row).toEqual({ name: exchange, type: 'topic', durable: true, auto_delete: false });
  });

  it('topology - queueOptions.arguments reach the broker: x-max-length drops the oldest into Q.dlq', async () => {
    const { exchange, queue } = names('args-q');
    const bus = await connectBus({ url: amqpUrl(), exchange, queue, queueOptions: { arguments: { 'x-max-length': 2 } } });
    // Bound by hand, and no handler, so no consumer: the messages pile up.
    const channel = await rawChannel();
    await channel.bindQueue(queue, exchange, 'order.*');
    const events = Array.from({ length: 3 }, (_, i) => orderEvent('created', { n: i }));
    for (const event of events) await bus.publish(event);

    const view = await brokerView(amqpUrl());
    await waitForDepth(view, `${queue}.dlq`, 1);
    expect(await view.depth(queue)).toBe(2);
    const [dropped] = await view.take(`${queue}.dlq`);
    expect(JSON.parse(dropped!.body.toString('utf8')).id).toBe(events[0]!.id);
  });
});
