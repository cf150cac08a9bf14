/**
 * stats() counts what reached the broker: an ack dropped because its channel
 * died is not `acked` (the broker redelivers the message, and that ack counts),
 * and a failed delivery whose copy could not be made is not `deadLettered`.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, EventBus, PublishError } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { collectSettlements, connectBus, gate, names, orderEvent, rig, statesOf, teardown, TRANSPORTS, waitFor, waitForCount, waitForReconnect } from '../support/rig.js';
import { wrappedMemoryTransport } from '../support/wrapped-transport.js';

describe.each(TRANSPORTS)('sent counts (%s)', (kind) => {
  it('sent counts - acks dropped on a dead channel are counted dropped, not acked: N events, N acked', async () => {
    const r = await rig(kind);
    const { exchange, queue } = names('sent-acks');
    const bus = await connectBus({ url: r.url, exchange, queue, reconnectDelayMs: 100, handlerTimeoutMs: 15_000, prefetch: 10 });
    const states = statesOf(bus);
    const settlements = collectSettlements(bus);
    const release = gate();
    teardown(release.open);
    let runs = 0;
    bus.handle('order.created', async () => {
      // The first five runs wait until their channel is gone; the redeliveries go through.
      if (++runs <= 5) await release.promise;
    });
    await bus.ready();

    for (let i = 0; i < 5; i++) await bus.publish(orderEvent());
    await waitFor(() => runs === 5, { description: 'five runs in flight' });
    const from = states.length;
    r.cut();
    await waitForReconnect(states, from);
    await waitForCount(settlements, 5, 'the redeliveries settled');
    release.open();
    await waitForCount(settlements, 10, 'the stale settlements');

    expect(settlements.filter((s) => !s.sent)).toHaveLength(5);
    expect(bus.stats()).toMatchObject({ acked: 5, dropped: 5 });
  });
});

describe('sent counts - copies', () => {
  it('sent counts - a failed delivery whose Q.dlq copy is refused is rejected to the broker and counted dropped, not deadLettered', async () => {
    const refused = new PublishError(ErrorCode.PUBLISH_REFUSED, 'copies refused');
    // Events go out; copies (through the default exchange) are refused.
    const { transport, brokerName: name } = wrappedMemoryTransport('sent-copy', {
      publish: (message, inner) => (message.exchange === '' ? Promise.reject(refused) : inner(message)),
    });
    const bus = await EventBus.connect({ transport, queue: 'orders' });
    teardown(() => bus.close());
    const settlements = collectSettlements(bus);
    bus.handle('order.*', () => {
      throw new Error('handler down');
    });
    await bus.ready();
    await bus.publish(orderEvent());
    await waitForCount(settlements, 1, 'settlements');
    expect(settlements[0]).toMatchObject({ sent: false, outcome: { kind: 'dead-letter' } });
    expect(bus.stats()).toMatchObject({ deadLettered: 0, dropped: 1 });
    // The broker dead-lettered the rejected message itself.
    await waitFor(() => MemoryBroker.named(name).queueDepth('orders.dlq') === 1, { description: 'the broker to dead-letter it' });
  });
});
