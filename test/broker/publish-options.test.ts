/**
 * Publish options through RabbitMQ and memory://: headers arrive alike on
 * both, expiration dead-letters alike, priority orders a queue declared with
 * x-max-priority on RabbitMQ (memory:// keeps FIFO: it.fails says so).
 */
import { describe, expect, it } from 'vitest';
import { type Event, RxPubsubHeader } from '../../src/index.js';
import { brokerView, collectSettlements, connectBus, names, orderEvent, rig, TRANSPORTS, waitFor, waitForCount, waitForDepth } from '../support/rig.js';

describe.each(TRANSPORTS)('publish options (%s)', (kind) => {
  it('publish options - headers of every kind arrive as sent, in context.headers and on the copy in Q.dlq', async () => {
    const { url } = await rig(kind);
    const { exchange, queue } = names('po-headers');
    const bus = await connectBus({ url, exchange, queue });
    const settlements = collectSettlements(bus);
    const seen: Readonly<Record<string, unknown>>[] = [];
    bus.handle('order.created', (_event, { headers }) => {
      seen.push(headers);
      throw new Error('to Q.dlq');
    });
    await bus.ready();
    const headers = { s: 'text', n: 42, f: 1.5, neg: -70_000, big: 2 ** 40, t: true, nil: null, list: ['a', 1, [false]], table: { k: 'v', deep: { x: 1 } } };
    await bus.publish(orderEvent(), { headers });
    await waitForCount(settlements, 1, 'settlements');
    expect(seen[0]).toEqual(headers);

    const view = await brokerView(url);
    await waitForDepth(view, `${queue}.dlq`, 1);
    const [dead] = await view.take(`${queue}.dlq`);
    expect(dead?.properties.headers).toMatchObject({ ...headers, [RxPubsubHeader.ERROR]: 'order.created: to Q.dlq' });
  });

  it('publish options - a message whose expiration passes in the queue goes to Q.dlq (reason expired), without its expiration', async () => {
    const { url } = await rig(kind);
    const { exchange, queue } = names('po-ttl');
    const bus = await connectBus({ url, exchange, queue });
    const view = await brokerView(url);
    // A binding with no consumer: the message waits in the queue until it expires.
    const sub = bus.on$('order.created').subscribe();
    await bus.ready();
    sub.unsubscribe();
    await bus.close();
    const publisher = await connectBus({ url, exchange });
    await publisher.publish(orderEvent(), { expiration: 50 });
    await waitForDepth(view, `${queue}.dlq`, 1);
    const [dead] = await view.take(`${queue}.dlq`);
    expect(dead?.properties.expiration).toBeUndefined();
    const deaths = dead?.properties.headers?.['x-death'] as { reason: string; 'original-expiration'?: string }[];
    expect(deaths[0]).toMatchObject({ reason: 'expired', 'original-expiration': '50' });
    expect(await view.depth(queue)).toBe(0);
  });

  it('publish options - expiration and priority arrive as message properties', async () => {
    const { url } = await rig(kind);
    const { exchange, queue } = names('po-props');
    const bus = await connectBus({ url, exchange, queue });
    const properties: unknown[] = [];
    const settlements = collectSettlements(bus);
    bus.handle('order.created', () => undefined);
    const sub = settlementsProperties(bus, properties);
    await bus.ready();
    await bus.publish(orderEvent(), { expiration: 60_000, priority: 3 });
    await waitForCount(settlements, 1, 'settlements');
    sub.unsubscribe();
    expect(properties[0]).toMatchObject({ expiration: '60000', priority: 3 });
  });

  const priorityTest = kind === 'amqp' ? it : it.fails;
  priorityTest('publish options - a queue with x-max-priority delivers higher priorities first (memory:// keeps FIFO)', async () => {
    const { url } = await rig(kind);
    const { exchange, queue } = names('po-prio');
    // Priorities are a classic-queue feature: RabbitMQ refuses x-max-priority on a quorum queue.
    const options = { url, exchange, queue, prefetch: 1, queueOptions: { type: 'classic' as const, arguments: { 'x-max-priority': 10 } } };
    const first = await connectBus(options);
    const sub = first.on$('order.*').subscribe();
    await first.ready();
    sub.unsubscribe();
    await first.close(); // the queue is bound and has no consumer
    const publisher = await connectBus({ url, exchange });
    for (const [action, priority] of [['low', 1], ['high', 9], ['mid', 5]] as const) await publisher.publish(orderEvent(action), { priority });
    await waitForDepth(await brokerView(url), queue, 3);

    const consumer = await connectBus(options);
    const order: string[] = [];
    consumer.handle('order.*', (event: Event) => void order.push(event.action));
    await waitFor(() => order.length === 3, { timeoutMs: 10_000, description: 'three deliveries' });
    expect(order).toEqual(['high', 'mid', 'low']);
  });
});

/** Records each settled delivery's properties. */
function settlementsProperties(bus: Awaited<ReturnType<typeof connectBus>>, into: unknown[]): { unsubscribe(): void } {
  return bus.settlements$.subscribe((settlement) => into.push(settlement.delivery.properties));
}
