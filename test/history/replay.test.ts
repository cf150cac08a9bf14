/**
 * `replay$` on memory://: what a user of the bus observes of the event history
 * (the same behaviours run on RabbitMQ in test/broker/history.test.ts).
 */
import { firstValueFrom, lastValueFrom, map, take, toArray, timeout } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, ConnectionError, createEvent, defineEvent, EventBus } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { connectBus, expectRxError, teardown, uniqueName, waitFor } from '../support/bus.js';
import { historyBus, numberedEvents, numbersOf, publishInOrder, replayed } from '../support/history.js';
import { recordingLogger } from '../support/rig.js';

const url = (): string => `memory://${uniqueName('hist')}`;

describe('replay$ on memory://', () => {
  it('replay$ - from first: every event the pattern matches, in publish order, then completes', async () => {
    const bus = await historyBus({ url: url() });
    await publishInOrder(bus, numberedEvents(10));

    expect(numbersOf(await replayed(bus.replay$('*', { from: 'first' })))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(numbersOf(await replayed(bus.replay$('order.*', { from: 'first' })))).toEqual([0, 2, 4, 6, 8]);
    expect(numbersOf(await replayed(bus.replay$('*.registered', { from: 'first' })))).toEqual([1, 3, 5, 7, 9]);
  });

  it('replay$ - from an offset starts at that position of the log; past the end it completes empty', async () => {
    const bus = await historyBus({ url: url() });
    await publishInOrder(bus, numberedEvents(10));

    expect(numbersOf(await replayed(bus.replay$('*', { from: 7 })))).toEqual([7, 8, 9]);
    expect(numbersOf(await replayed(bus.replay$('order.*', { from: 3 })))).toEqual([4, 6, 8]);
    expect(await replayed(bus.replay$('*', { from: 10 }))).toEqual([]);
    expect(await replayed(bus.replay$('*', { from: 1_000_000 }))).toEqual([]);
  });

  it('replay$ - from a Date starts at the first event written at or after it', async () => {
    const bus = await historyBus({ url: url() });
    await publishInOrder(bus, numberedEvents(5));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const since = new Date();
    await publishInOrder(bus, numberedEvents(5, 5));

    expect(numbersOf(await replayed(bus.replay$('*', { from: since })))).toEqual([5, 6, 7, 8, 9]);
    expect(await replayed(bus.replay$('*', { from: new Date(Date.now() + 60_000) }))).toEqual([]);
    expect(numbersOf(await replayed(bus.replay$('*', { from: new Date(0) })))).toHaveLength(10);
  });

  it('replay$ - from last: the newest event; on an empty history it completes empty', async () => {
    const bus = await historyBus({ url: url() });
    expect(await replayed(bus.replay$('*', { from: 'last' }))).toEqual([]);
    expect(await replayed(bus.replay$('*', { from: 'first' }))).toEqual([]);
    await publishInOrder(bus, numberedEvents(4));
    expect(numbersOf(await replayed(bus.replay$('*', { from: 'last' })))).toEqual([3]);
  });

  it('replay$ - is cold: each subscription reads the whole history for itself', async () => {
    const bus = await historyBus({ url: url() });
    await publishInOrder(bus, numberedEvents(6));
    const events$ = bus.replay$('*', { from: 'first' });
    const [a, b] = await Promise.all([replayed(events$), replayed(events$)]);
    expect(numbersOf(a)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(numbersOf(b)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(a.map((e) => e.id)).toEqual(b.map((e) => e.id));
  });

  it('replay$ - with follow, the history then live events, on one reader: no gap, no duplicate', async () => {
    const bus = await historyBus({ url: url() });
    await publishInOrder(bus, numberedEvents(200));
    // Publishing goes on while the replay is still reading the history (prefetch 10: it takes many turns).
    const all = lastValueFrom(bus.replay$('*', { from: 'first', follow: true, prefetch: 10 }).pipe(take(400), toArray(), timeout(10_000)));
    await publishInOrder(bus, numberedEvents(200, 200));
    expect(numbersOf(await all)).toEqual(Array.from({ length: 400 }, (_, i) => i));
  });

  it('replay$ - a catalog bus gets its events upcast and checked; other types are not emitted', async () => {
    const OrderPaidV1 = defineEvent('order', 'paid', { schema: z.object({ order_id: z.string(), amount: z.number() }) });
    const OrderPaid = defineEvent('order', 'paid', {
      version: 2,
      schema: z.object({ order_id: z.string(), amount: z.number(), currency: z.string() }),
      upcast: { 1: (v1: { order_id: string; amount: number }) => ({ ...v1, currency: 'EUR' }) },
    });
    const name = url();
    const legacy = await historyBus({ url: name, events: [OrderPaidV1] });
    await legacy.publish(OrderPaidV1.create({ order_id: 'A1', amount: 10 }));
    await legacy.publish(createEvent({ domain: 'user', action: 'registered', data: { n: 1 } }));
    const bus = await EventBus.connect({ url: name, events: [OrderPaid], history: {} });
    teardown(() => bus.close());

    const paid = await replayed(bus.replay$('*', { from: 'first' }));
    expect(paid.map((e) => ({ version: e.version, data: e.data }))).toEqual([{ version: 2, data: { order_id: 'A1', amount: 10, currency: 'EUR' } }]);
  });

  it('replay$ - a record that is not an event is skipped and logged with its offset; the replay goes on', async () => {
    const logger = recordingLogger();
    const name = url();
    const bus = await historyBus({ url: name, logger });
    await publishInOrder(bus, numberedEvents(2));
    const broker = MemoryBroker.named(new URL(name).host);
    broker.publish('events', 'order.created', Buffer.from('not json'), { contentType: 'application/json' });
    broker.publish('events', 'order.created', Buffer.from('{"also":"not an event"}'), { contentType: 'application/json' });
    await publishInOrder(bus, numberedEvents(2, 2));

    expect(numbersOf(await replayed(bus.replay$('*', { from: 'first' })))).toEqual([0, 1, 2, 3]);
    const skipped = logger.lines.filter((line) => line.message.startsWith('replay$: skipped'));
    expect(skipped.map((line) => [line.level, line.fields.offset])).toEqual([
      ['warn', 2],
      ['debug', 3],
      ['warn', undefined],
    ]);
    expect(skipped[2]?.fields.skipped).toBe(2);
  });

  it('replay$ - an observer that throws is logged, and the replay goes on to the end', async () => {
    const logger = recordingLogger();
    const bus = await historyBus({ url: url(), logger });
    await publishInOrder(bus, numberedEvents(3));
    const seen: number[] = [];
    await new Promise<void>((resolve) => {
      bus.replay$('*', { from: 'first' }).subscribe({
        next: (event) => {
          seen.push((event.data as { n: number }).n);
          throw new Error('observer bug');
        },
        complete: resolve,
      });
    });
    expect(seen).toEqual([0, 1, 2]);
    expect(logger.lines.filter((line) => line.level === 'error' && line.fields.reason === 'observer bug')).toHaveLength(3);
  });
});

describe('replay$ errors', () => {
  it('replay$ - without the history option is INVALID_OPTIONS, naming the option', async () => {
    const bus = await connectBus({ url: url() });
    const error = await expectRxError(() => bus.replay$('*', { from: 'first' }), ConfigError, 'INVALID_OPTIONS');
    expect(error.message).toMatch(/history: \{ maxAge: '7D' \}/);
  });

  it.each([
    ['no options', undefined, /options must be an object/],
    ['no from', {}, /from must be 'first', 'last', a valid Date or an offset/],
    ['a negative offset', { from: -1 }, /from must be/],
    ['a fractional offset', { from: 1.5 }, /from must be/],
    ['an invalid Date', { from: new Date('nope') }, /from must be/],
    ["'next'", { from: 'next' }, /from must be/],
    ['a non-boolean follow', { from: 'first', follow: 'yes' }, /follow must be true or false/],
    ['prefetch 0', { from: 'first', prefetch: 0 }, /prefetch must be a whole number from 1 to 65535/],
    ['an unknown option', { from: 'first', limit: 3 }, /limit is not an option of replay\$/],
  ])('replay$ - refuses %s with INVALID_ARGUMENT, at the call', async (_what, options, message) => {
    const bus = await historyBus({ url: url() });
    const error = await expectRxError(() => bus.replay$('*', options as never), ConfigError, 'INVALID_ARGUMENT');
    expect(error.message).toMatch(message);
  });

  it('replay$ - refuses a bad pattern with INVALID_PATTERN', async () => {
    const bus = await historyBus({ url: url() });
    await expectRxError(() => bus.replay$('order.#' as never, { from: 'first' }), ConfigError, 'INVALID_PATTERN');
  });

  it('replay$ - subscribed after close, it errors with CLOSED', async () => {
    const bus = await historyBus({ url: url() });
    const events$ = bus.replay$('*', { from: 'first' });
    await bus.close();
    await expectRxError(firstValueFrom(events$), ConnectionError, 'CLOSED');
  });

  it('replay$ - a replay still running when the bus closes errors with CLOSED: it did not reach its end', async () => {
    const bus = await historyBus({ url: url() });
    await publishInOrder(bus, numberedEvents(3));
    const seen: number[] = [];
    const ended = lastValueFrom(bus.replay$('*', { from: 'first', follow: true }).pipe(map((e) => seen.push((e.data as { n: number }).n))));
    await waitFor(() => seen.length === 3);
    const failed = expectRxError(ended, ConnectionError, 'CLOSED');
    await bus.close();
    await failed;
  });

  it('replay$ - the stream deleted under a replay errors it with TOPOLOGY_FAILED', async () => {
    const name = url();
    const bus = await historyBus({ url: name });
    const ended = lastValueFrom(bus.replay$('*', { from: 'first', follow: true }));
    MemoryBroker.named(new URL(name).host).deleteQueue('events.history');
    const error = await expectRxError(ended, ConnectionError, 'TOPOLOGY_FAILED');
    expect(error.message).toMatch(/history stream "events.history".*deleted/);
  });

  it('connect - a history stream declared with other arguments fails with TOPOLOGY_FAILED and the fix; nothing is left open', async () => {
    const name = url();
    await historyBus({ url: name }, { maxAge: '7D' });
    const broker = MemoryBroker.named(new URL(name).host);
    const connections = broker.connectionCount();
    const error = await expectRxError(EventBus.connect({ url: name, history: { maxAge: '1D' } }), ConnectionError, 'TOPOLOGY_FAILED');
    expect(error.message).toMatch(/history stream "events.history".*set the history options to match it.*delete it/);
    expect(broker.connectionCount()).toBe(connections);
  });
});
