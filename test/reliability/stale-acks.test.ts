import { describe, expect, it } from 'vitest';
import { type Event, type EventBus } from '../../src/index.js';
import { brokerView, cleanupRetryQueues, collectSettlements, connectBus, gate, names, orderEvent, recordingLogger, type Rig, rig, statesOf, teardown, TRANSPORTS, waitFor, waitForCount, waitForReconnect } from '../support/rig.js';

/**
 * Plays a handler failing after its connection died: the first run of an
 * `order.created` waits while the bus's connection is cut and comes back, the
 * redelivery succeeds, then the first run fails. Returns once both runs are
 * settled, with the handler's run count.
 */
async function failFirstRunAcrossACut(r: Rig, bus: EventBus): Promise<() => number> {
  const states = statesOf(bus);
  const settlements = collectSettlements(bus);
  const release = gate();
  teardown(release.open);
  let runs = 0;
  bus.handle('order.created', async () => {
    if (++runs > 1) return; // the redelivery succeeds
    await release.promise;
    throw new Error('failed after the connection died');
  });
  await bus.ready();

  await bus.publish(orderEvent());
  await waitFor(() => runs === 1, { description: 'the first run' });
  const from = states.length;
  r.cut();
  await waitForReconnect(states, from);
  await waitForCount(settlements, 1, 'the redelivery settled');
  release.open();
  await waitForCount(settlements, 2, 'the stale settlement');
  return () => runs;
}

// The connection of one bus is cut while its handler runs: through a TCP proxy
// on RabbitMQ (the other tests' connections stay up), by dropping the memory
// broker's connections on memory://.
describe.each(TRANSPORTS)('stale acks (%s)', (kind) => {
  it('stale acks - a handler finishing after its connection died has its ack dropped, not sent on the new channel; the redelivery is handled', async () => {
    const r = await rig(kind);
    const { exchange, queue } = names('stale');
    const logger = recordingLogger();
    const bus = await connectBus({ url: r.url, exchange, queue, reconnectDelayMs: 100, handlerTimeoutMs: 15_000, logger });
    const states = statesOf(bus);
    const settlements = collectSettlements(bus);
    const releases = [gate(), gate()];
    teardown(() => releases.forEach((g) => g.open()));
    const runs: Event[] = [];
    bus.handle('order.created', async (event) => {
      const run = runs.push(event); // the first run waits for releases[0], the redelivery for releases[1]
      await releases[Math.min(run, 2) - 1]?.promise;
    });
    const later: Event[] = [];
    bus.handle('order.paid', (event) => void later.push(event));
    await bus.ready();

    const event = orderEvent();
    await bus.publish(event);
    await waitForCount(runs, 1, 'handler runs');
    const from = states.length;
    r.cut();
    await waitForReconnect(states, from);
    await waitForCount(runs, 2, 'handler runs (the redelivery)');
    expect(runs.map((run) => run.id)).toEqual([event.id, event.id]);

    releases[0]!.open(); // the first run ends now, on a channel that is gone
    await waitForCount(settlements, 1, 'the stale settlement');
    expect(settlements[0]?.delivery.redelivered).toBe(false);
    // Its ack went nowhere: the redelivered copy (whose tag on the new channel may well be the same number) is still unacked.
    await waitFor(async () => (await r.unacked(queue)) === 1, { description: 'the redelivered copy to stay unacked' });
    expect(await r.unacked(queue)).toBe(1);

    releases[1]!.open();
    await waitForCount(settlements, 2, 'settlements');
    expect(settlements[1]?.delivery.redelivered).toBe(true);
    const paid = orderEvent('paid');
    await bus.publish(paid);
    await waitForCount(later, 1, 'events handled after the fault');
    expect(later[0]?.id).toBe(paid.id);

    const view = await brokerView(r.directUrl);
    await waitFor(async () => (await r.unacked(queue)) === 0, { description: 'every delivery acked' });
    expect(await view.depth(queue)).toBe(0);
    expect(await view.depth(`${queue}.dlq`)).toBe(0);
    const brokerClosedChannels = logger.lines.filter((line) => line.message.startsWith('channel closed by the broker'));
    expect(brokerClosedChannels, 'no channel was closed by the broker (a stale ack would close it with 406)').toEqual([]);
    expect(logger.lines.some((line) => line.fields.code === 406 || /PRECONDITION_FAILED/.test(String(line.fields.reason)))).toBe(false);
  });

  it('stale acks - a handler failing after its connection died copies nothing to Q.dlq: the broker redelivers the original', async () => {
    const r = await rig(kind);
    const { exchange, queue } = names('stale-fail');
    const bus = await connectBus({ url: r.url, exchange, queue, reconnectDelayMs: 100, handlerTimeoutMs: 15_000 });
    const runs = await failFirstRunAcrossACut(r, bus);

    expect(runs()).toBe(2);
    const view = await brokerView(r.directUrl);
    // The failure belongs to a delivery the broker already gave back: dead-lettering it too would leave
    // a second copy (in Q.dlq) of a message that was handled.
    expect(await view.depth(`${queue}.dlq`)).toBe(0);
  });

  it('stale acks - a handler failing after its connection died schedules no retry: the handler does not run a third time', async () => {
    const r = await rig(kind);
    const { exchange, queue } = names('stale-retry');
    cleanupRetryQueues(r.url, queue, [50]);
    const bus = await connectBus({ url: r.url, exchange, queue, reconnectDelayMs: 100, handlerTimeoutMs: 15_000, retry: { attempts: 3, delaysMs: [50] } });
    const runs = await failFirstRunAcrossACut(r, bus);
    // Only time can show that nothing more happens: a retry copy would come back from its 50 ms delay queue
    // and run the handler again well within this.
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(runs()).toBe(2);
  });
});
