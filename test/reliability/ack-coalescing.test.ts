import { describe, expect, it } from 'vitest';
import { type Event } from '../../src/index.js';
import { brokerView, collectSettlements, connectBus, gate, names, orderEvent, rig, statesOf, teardown, TRANSPORTS, waitFor, waitForCount, waitForReconnect } from '../support/rig.js';

const FAST = 100;

// Acks are coalesced (ack(multiple) over the finished run at the head of a
// channel's deliveries), which must never cover a delivery whose handlers are
// still running, nor hold back the acks of the deliveries behind a slow one.
describe.each(TRANSPORTS)('ack coalescing (%s)', (kind) => {
  it('ack coalescing - behind one slow delivery the fast ones are acked; the slow one stays unacked, and alone comes back after a connection loss', async () => {
    const r = await rig(kind);
    const { exchange, queue } = names('coalesce');
    const bus = await connectBus({ url: r.url, exchange, queue, prefetch: 50, reconnectDelayMs: 100, handlerTimeoutMs: 15_000 });
    const states = statesOf(bus);
    const settlements = collectSettlements(bus);
    const slowRelease = gate();
    teardown(slowRelease.open);
    const slowRuns: { id: string; redelivered: boolean }[] = [];
    const fastRuns: { id: string; n: number }[] = [];
    const markers: Event[] = [];
    bus.handle('order.created', async (event) => {
      if (event.data && (event.data as { slow?: number }).slow === 1) {
        const redelivered = slowRuns.length > 0;
        slowRuns.push({ id: event.id, redelivered });
        if (!redelivered) await slowRelease.promise;
        return;
      }
      fastRuns.push({ id: event.id, n: (event.data as { n: number }).n });
    });
    bus.handle('order.paid', (event) => void markers.push(event));
    await bus.ready();

    const slow = orderEvent('created', { slow: 1 });
    await bus.publish(slow); // first in the queue: the head of the channel's deliveries
    await waitForCount(slowRuns, 1, 'slow handler runs');
    await Promise.all(Array.from({ length: FAST }, (_, n) => bus.publish(orderEvent('created', { n }))));

    // With prefetch 50, the 100 fast ones get through only if their acks are not held behind the slow one.
    await waitForCount(fastRuns, FAST, 'fast handler runs');
    await waitFor(async () => (await r.unacked(queue)) === 1, { timeoutMs: 10_000, description: 'only the slow delivery to stay unacked' });
    expect(slowRuns).toHaveLength(1);

    const from = states.length;
    r.cut(); // the slow handler is still running: its delivery must not have been acked
    await waitForReconnect(states, from);
    await waitForCount(slowRuns, 2, 'slow handler runs (the redelivery)');
    // Requeued messages go back to the head of the queue: a marker published now comes after any of them.
    const marker = orderEvent('paid');
    await bus.publish(marker);
    await waitForCount(markers, 1, 'the marker');

    expect(slowRuns[1]).toEqual({ id: slow.id, redelivered: true });
    expect(settlements.find((s) => s.event?.id === slow.id)?.delivery.redelivered).toBe(true);
    expect(fastRuns).toHaveLength(FAST); // none of the fast ones came back: they were acked
    expect(new Set(fastRuns.map((run) => run.id)).size).toBe(FAST);
    expect(settlements.filter((s) => s.delivery.redelivered).map((s) => s.event?.id)).toEqual([slow.id]);

    slowRelease.open(); // the stale first run ends; its ack is dropped
    await waitFor(() => settlements.length === FAST + 3, { description: `every settlement (have ${settlements.length})` });
    await waitFor(async () => (await r.unacked(queue)) === 0, { description: 'nothing unacked' });
    const view = await brokerView(r.directUrl);
    expect(await view.depth(queue)).toBe(0);
    expect(await view.depth(`${queue}.dlq`)).toBe(0);
  });
});
