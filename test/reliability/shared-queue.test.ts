/**
 * Bindings belong to the queue, not to a process: two instances of a service
 * consuming one durable queue must not unbind each other's patterns.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode, type EventBus, type Settlement } from '../../src/index.js';
import { collectSettlements, connectBus, expectRxError, names, orderEvent, TRANSPORTS, waitFor } from '../support/rig.js';

/** Publishes `count` order.paid events from `bus` and waits until `a` and `b` settled them all between them. */
async function publishAndSettle(bus: EventBus, a: Settlement[], b: Settlement[], count: number): Promise<void> {
  const before = a.length + b.length;
  for (let i = 0; i < count; i++) await bus.publish(orderEvent('paid', { order_id: `P${i}` }));
  await waitFor(() => a.length + b.length >= before + count, { description: `${count} settlements between the two buses` });
}

describe.each(TRANSPORTS)('shared queue (%s)', (_kind, makeUrl) => {
  it('shared queue - A keeps receiving after B\'s on$ stream on the same pattern unsubscribes', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('shared-stream');
    const a = await connectBus({ url, exchange, queue });
    const b = await connectBus({ url, exchange, queue });
    const handledByA: string[] = [];
    a.handle('order.*', (event) => void handledByA.push(event.id));
    const stream = b.on$('order.*').subscribe();
    await Promise.all([a.ready(), b.ready()]);
    stream.unsubscribe();
    await b.ready();
    const settledA = collectSettlements(a);
    const settledB = collectSettlements(b);

    await publishAndSettle(a, settledA, settledB, 10);

    // Every event still reaches the queue: A handles its share, B (no handler left) acks its share as unhandled.
    expect(handledByA.length).toBeGreaterThan(0);
    expect(handledByA.length + settledB.filter((s) => s.outcome.kind === 'unhandled').length).toBe(10);
    expect(settledA.every((s) => s.outcome.kind === 'ack')).toBe(true);
  });

  it('shared queue - A keeps receiving after B removes its handler on the same pattern', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('shared-handler');
    const a = await connectBus({ url, exchange, queue });
    const b = await connectBus({ url, exchange, queue });
    const handled: string[] = [];
    a.handle('order.*', (event) => void handled.push(`A:${event.id}`));
    const handlerOfB = b.handle('order.*', (event) => void handled.push(`B:${event.id}`));
    await Promise.all([a.ready(), b.ready()]);
    const settledA = collectSettlements(a);
    const settledB = collectSettlements(b);

    await publishAndSettle(a, settledA, settledB, 10);
    expect(handled).toHaveLength(10); // 10 of 10 handled by A or B

    handlerOfB.unsubscribe();
    await b.ready();
    const handledBefore = handled.length;
    const unhandledBefore = settledB.filter((s) => s.outcome.kind === 'unhandled').length;
    await publishAndSettle(a, settledA, settledB, 10);
    const byA = handled.slice(handledBefore);
    expect(byA.length).toBeGreaterThan(0);
    expect(byA.every((h) => h.startsWith('A:'))).toBe(true);
    // Every event still reaches the queue: what A did not handle, B acked as unhandled.
    expect(byA.length + settledB.filter((s) => s.outcome.kind === 'unhandled').length - unhandledBefore).toBe(10);
  });

  it('shared queue - unbind(pattern) removes the binding for every bus sharing the queue, and is refused while a local handler needs it', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('shared-unbind');
    const a = await connectBus({ url, exchange, queue });
    const b = await connectBus({ url, exchange, queue });
    const handledByA: string[] = [];
    a.handle('order.*', (event) => void handledByA.push(event.id));
    const handlerOfB = b.handle('order.*', () => undefined);
    await Promise.all([a.ready(), b.ready()]);

    const refused = await expectRxError(b.unbind('order.*'), ConfigError, ErrorCode.INVALID_ARGUMENT);
    expect(refused.message).toMatch(/still used by a handler or on\$ stream of this bus/);

    handlerOfB.unsubscribe();
    await b.unbind('order.*');
    const settledA = collectSettlements(a);
    const settledB = collectSettlements(b);
    await b.publish(orderEvent('paid'));
    const marker = orderEvent('created');
    a.handle('order.created', () => undefined); // binds order.created again, so the marker arrives
    await a.ready();
    await a.publish(marker);
    await waitFor(() => [...settledA, ...settledB].some((s) => s.event?.id === marker.id), { description: 'the marker to settle' });
    // The order.paid event was not routed to the queue any more: nobody settled it.
    expect([...settledA, ...settledB].map((s) => s.event?.action)).toEqual(['created']);
  });

  it('shared queue - an exclusive queue is unbound when its last local user goes', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('exclusive-unbind');
    const bus = await connectBus({ url, exchange, queue, queueOptions: { exclusive: true } });
    const settlements = collectSettlements(bus);
    const stream = bus.on$('order.*').subscribe();
    bus.handle('user.*', () => undefined);
    await bus.ready();
    stream.unsubscribe();
    await bus.ready();
    await bus.publish(orderEvent('paid'));
    const marker = { ...orderEvent(), domain: 'user', action: 'registered' } as const;
    await bus.publish(marker);
    await waitFor(() => settlements.some((s) => s.event?.id === marker.id), { description: 'the marker to settle' });
    expect(settlements.map((s) => s.event?.action)).toEqual(['registered']);
  });
});
