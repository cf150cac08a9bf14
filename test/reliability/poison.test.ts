import { describe, expect, it } from 'vitest';
import { DeadLetterHeader, type Event } from '../../src/index.js';
import { encodeEvent } from '../../src/blocks.js';
import { brokerView, collectSettlements, connectBus, gate, names, orderEvent, rig, statesOf, teardown, TRANSPORTS, waitFor, waitForCount, waitForDepth, waitForReconnect } from '../support/rig.js';

const QUORUM = { type: 'quorum' } as const;

// Redeliveries are counted by the broker on quorum queues (`x-delivery-count`);
// the memory broker counts them too. A raw consumer that takes the message and
// hands it back with requeue plays a consumer that keeps dying on it.
describe.each(TRANSPORTS)('poison messages (%s)', (kind) => {
  it('poison messages - a message redelivered more than maxRedeliveries times is dead-lettered without running the handler', async () => {
    const r = await rig(kind);
    const { exchange, queue } = names('poison');
    const bus = await connectBus({ url: r.url, exchange, queue, queueOptions: QUORUM, maxRedeliveries: 3 });
    const settlements = collectSettlements(bus);
    await r.bind(exchange, queue, 'order.created');
    const event = orderEvent();
    await bus.publish(event);
    expect(await r.requeue(queue, 4)).toBe(3); // the 4th delivery had 3 before it; the bus gets the 5th

    const calls: Event[] = [];
    bus.handle('order.created', (e) => void calls.push(e));
    await bus.ready();
    const view = await brokerView(r.directUrl);
    await waitForDepth(view, `${queue}.dlq`, 1);
    await waitForCount(settlements, 1, 'settlements');

    expect(calls).toEqual([]);
    expect(settlements[0]?.outcome).toMatchObject({ kind: 'dead-letter' });
    const [letter] = await view.take(`${queue}.dlq`);
    expect(JSON.parse(letter!.body.toString('utf8'))).toEqual(event);
    const reason = String(letter!.properties.headers?.[DeadLetterHeader.ERROR]);
    expect(reason).toMatch(/poison/i);
    expect(reason).toContain('maxRedeliveries 3');
    expect(await view.depth(queue)).toBe(0);
  });

  it('poison messages - a message redelivered exactly maxRedeliveries times is still handled', async () => {
    const r = await rig(kind);
    const { exchange, queue } = names('poison-ok');
    const bus = await connectBus({ url: r.url, exchange, queue, queueOptions: QUORUM, maxRedeliveries: 3 });
    const settlements = collectSettlements(bus);
    await r.bind(exchange, queue, 'order.created');
    const event = orderEvent();
    await bus.publish(event);
    expect(await r.requeue(queue, 3)).toBe(2);

    const calls: Event[] = [];
    bus.handle('order.created', (e) => void calls.push(e));
    await bus.ready();
    await waitForCount(settlements, 1, 'settlements');

    expect(calls.map((e) => e.id)).toEqual([event.id]);
    expect(settlements[0]?.outcome.kind).toBe('ack');
    expect(settlements[0]?.delivery.properties.headers?.['x-delivery-count']).toBe(3);
    const view = await brokerView(r.directUrl);
    expect(await view.depth(`${queue}.dlq`)).toBe(0);
    expect(await view.depth(queue)).toBe(0);
  });

  it('poison messages - a handler whose connection dies under it every time runs maxRedeliveries + 1 times, then the message is dead-lettered', async () => {
    const r = await rig(kind);
    const { exchange, queue } = names('poison-crash');
    // Long timeouts: the handlers cut off by the faults must still be running (never settled) when the test ends.
    const bus = await connectBus({ url: r.url, exchange, queue, queueOptions: QUORUM, maxRedeliveries: 2, reconnectDelayMs: 100, handlerTimeoutMs: 30_000 });
    const states = statesOf(bus);
    const settlements = collectSettlements(bus);
    const never = gate();
    teardown(never.open); // runs before the bus closes: the stale handlers end, their acks are dropped
    const calls: Event[] = [];
    bus.handle('order.created', async (e) => {
      calls.push(e);
      await never.promise;
    });
    await bus.ready();

    const event = orderEvent();
    await bus.publish(event);
    for (let run = 1; run <= 3; run++) {
      await waitForCount(calls, run, `handler runs`);
      const from = states.length;
      r.cut(); // the consumer "crashes" while the handler runs
      await waitForReconnect(states, from);
    }
    const view = await brokerView(r.directUrl);
    await waitForDepth(view, `${queue}.dlq`, 1);
    await waitFor(() => settlements.length >= 1, { description: 'the poison settlement' });

    expect(calls).toHaveLength(3); // deliveries 1-3 ran it; the 4th (3 earlier deliveries > 2) did not
    expect(settlements.map((s) => s.outcome.kind)).toEqual(['dead-letter']);
    const [letter] = await view.take(`${queue}.dlq`);
    expect(String(letter!.properties.headers?.[DeadLetterHeader.ERROR])).toMatch(/poison.*maxRedeliveries 2/i);
    expect(await view.depth(queue)).toBe(0);
  });

  for (const type of ['classic', 'quorum'] as const) {
    it(`poison messages - a first delivery is never poison, whatever x-delivery-count its publisher set (${type} queue)`, async () => {
      const r = await rig(kind);
      const { exchange, queue } = names('poison-first');
      const bus = await connectBus({ url: r.url, exchange, queue, queueOptions: { type }, maxRedeliveries: 3 });
      const settlements = collectSettlements(bus);
      const calls: Event[] = [];
      bus.handle('order.created', (e) => void calls.push(e));
      await bus.ready();
      const view = await brokerView(r.directUrl);

      const event = orderEvent();
      await view.publish(exchange, 'order.created', encodeEvent(event), {
        contentType: 'application/json',
        messageId: event.id,
        deliveryMode: 2,
        headers: { 'x-delivery-count': 50 },
      });
      await waitForCount(settlements, 1, 'settlements');

      expect(settlements[0]?.delivery.redelivered).toBe(false);
      expect(settlements[0]?.outcome.kind).toBe('ack');
      expect(calls.map((e) => e.id)).toEqual([event.id]);
    });
  }
});
