import { describe, expect, it } from 'vitest';
import { ConnectionError, ErrorCode, type Event } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import {
  brokerView,
  collectSettlements,
  connectBus,
  expectRxError,
  gate,
  names,
  orderEvent,
  rawChannel,
  TRANSPORTS,
  uniqueName,
  waitFor,
  waitForCount,
} from '../support/bus.js';

/** Nothing left for anyone in `queue`: no ready message, and none held unacked by a consumer. */
async function expectQueueDrained(kind: 'amqp' | 'memory', url: string, queue: string): Promise<void> {
  if (kind === 'amqp') {
    const channel = await rawChannel();
    expect((await channel.checkQueue(queue)).messageCount).toBe(0);
    expect(await channel.get(queue, { noAck: true })).toBe(false);
  } else {
    const broker = MemoryBroker.named(new URL(url).host);
    expect(broker.queueDepth(queue)).toBe(0);
    expect(broker.unackedCount(queue)).toBe(0);
  }
}

describe.each(TRANSPORTS)('close (%s)', (kind, makeUrl) => {
  it('close - a handler in flight finishes and its delivery is acked before close() resolves', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('close-inflight');
    const bus = await connectBus({ url, exchange, queue });
    const settlements = collectSettlements(bus);
    const started = gate();
    let finished = false;
    bus.handle('order.created', async () => {
      started.open();
      await new Promise((resolve) => setTimeout(resolve, 300));
      finished = true;
    });
    await bus.ready();
    await bus.publish(orderEvent());
    await started.promise;

    const closing = Date.now();
    await bus.close();
    expect(finished).toBe(true);
    expect(Date.now() - closing).toBeGreaterThanOrEqual(200);
    expect(settlements.map((s) => s.outcome.kind)).toEqual(['ack']);
    expect(bus.stats().acked).toBe(1);
    await expectQueueDrained(kind, url, queue);
  });

  it('close - stops consuming: deliveries not yet started stay in the queue for the next consumer', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('close-stop');
    const bus = await connectBus({ url, exchange, queue, prefetch: 1 });
    const started = gate();
    const handled: Event[] = [];
    bus.handle('order.*', async (event) => {
      started.open();
      await new Promise((resolve) => setTimeout(resolve, 200));
      handled.push(event);
    });
    await bus.ready();
    for (let i = 0; i < 3; i++) await bus.publish(orderEvent('created', { n: i }));
    await started.promise;
    await bus.close();

    expect(handled).toHaveLength(1);
    const view = await brokerView(url);
    await waitFor(async () => (await view.depth(queue)) === 2, { description: 'the two unstarted events back in the queue' });
    expect(await view.depth(`${queue}.dlq`)).toBe(0);
  });

  it('close - waits for outstanding publish confirms: publishes started before close() all resolve', async () => {
    const url = makeUrl();
    const { exchange } = names('close-confirms');
    const bus = await connectBus({ url, exchange });
    const view = await brokerView(url);
    const queue = uniqueName('close-confirms-raw');
    await view.declareBoundQueue(exchange, queue, '#');

    const publishes = Array.from({ length: 50 }, (_, i) => bus.publish(orderEvent('created', { n: i })));
    await bus.close();
    await expect(Promise.all(publishes)).resolves.toHaveLength(50);
    expect(await view.depth(queue)).toBe(50);
  });

  it('close - a handler may still publish while the bus closes', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('close-followup');
    const bus = await connectBus({ url, exchange, queue });
    const view = await brokerView(url);
    const audit = uniqueName('close-followup-raw');
    await view.declareBoundQueue(exchange, audit, 'audit.*');
    const started = gate();
    bus.handle('order.created', async (event) => {
      started.open();
      await new Promise((resolve) => setTimeout(resolve, 150));
      await bus.publish({ ...orderEvent(), domain: 'audit', action: 'logged', causationId: event.id } as Event);
    });
    await bus.ready();
    await bus.publish(orderEvent());
    await started.promise;
    await bus.close();

    expect(bus.stats()).toMatchObject({ acked: 1, deadLettered: 0 });
    expect(await view.depth(audit)).toBe(1);
  });

  it('close - publish after close() rejects CLOSED; handle after close() throws CLOSED', async () => {
    const bus = await connectBus({ url: makeUrl(), ...names('close-after') });
    await bus.close();
    await expectRxError(bus.publish(orderEvent()), ConnectionError, ErrorCode.CLOSED);
    await expectRxError(() => bus.handle('order.*', () => undefined), ConnectionError, ErrorCode.CLOSED);
  });

  it('close - on$ streams and settlements$ complete on close; a stream subscribed afterwards completes at once', async () => {
    const bus = await connectBus({ url: makeUrl(), ...names('close-streams') });
    const stream = bus.on$('order.*');
    let completed = 0;
    const events: Event[] = [];
    stream.subscribe({ next: (e) => events.push(e), complete: () => completed++ });
    bus.on$('*').subscribe({ complete: () => completed++ });
    let settlementsDone = false;
    bus.settlements$.subscribe({ complete: () => (settlementsDone = true) });
    await bus.ready();
    await bus.publish(orderEvent());
    await waitForCount(events, 1, 'streamed events');

    await bus.close();
    expect(completed).toBe(2);
    expect(settlementsDone).toBe(true);
    let lateCompleted = false;
    stream.subscribe({ complete: () => (lateCompleted = true) });
    expect(lateCompleted).toBe(true);
  });

  it('close - is idempotent: a second close() resolves too', async () => {
    const bus = await connectBus({ url: makeUrl(), ...names('close-twice') });
    bus.handle('order.*', () => undefined);
    await bus.ready();
    await Promise.all([bus.close(), bus.close()]);
    await bus.close();
  });
});
