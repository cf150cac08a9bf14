import { lastValueFrom, Observable, of, Subject, take, throwError, toArray, concat } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ConfigError, ConnectionError, ErrorCode, type Event, EventBus, PublishError } from '../../src/index.js';
import { connectBus, expectRxError, orderEvent, teardown, uniqueName, waitFor } from '../support/bus.js';
import { revokedProxy, throwingGetter, trappedProxy } from '../support/hostile-values.js';
import { wrappedMemoryTransport } from '../support/wrapped-transport.js';

const events = (count: number): Event[] => Array.from({ length: count }, (_, i) => orderEvent('created', { order_id: `A${i}` }));
const idsOf = (list: readonly Event[]): unknown[] => list.map((event) => (event.data as { order_id: string }).order_id);

function memoryBus(maxPendingPublishes?: number): Promise<EventBus> {
  return connectBus({ url: `memory://${uniqueName('pa')}`, ...(maxPendingPublishes ? { maxPendingPublishes } : {}) });
}

/** A bus whose confirms wait until `release()`: what is out stays out. */
async function heldBus(maxPendingPublishes: number): Promise<{ bus: EventBus; held: (() => void)[]; release: () => void }> {
  const held: (() => void)[] = [];
  const release = (): void => held.splice(0).forEach((confirm) => confirm());
  const { transport } = wrappedMemoryTransport('pa-held', {
    publish: (message, inner) => new Promise((resolve, reject) => held.push(() => void inner(message).then(resolve, reject))),
  });
  const bus = await EventBus.connect({ transport, maxPendingPublishes });
  teardown(() => {
    release();
    return bus.close({ timeoutMs: 2_000 });
  });
  return { bus, held, release };
}

/** A generator of `count` events (or endless) that records how far ahead of `confirmed` each pull is. */
function counted(confirmed: readonly unknown[], count = Infinity) {
  const log = { pulled: 0, maxAhead: 0, returned: false };
  function* source(): Generator<Event> {
    try {
      for (; log.pulled < count;) {
        log.pulled++;
        log.maxAhead = Math.max(log.maxAhead, log.pulled - confirmed.length);
        yield orderEvent('created', { order_id: `A${log.pulled - 1}` });
      }
    } finally {
      log.returned = true;
    }
  }
  return { log, source };
}

/** Subscribes; `values` fills as the result emits, `ended` resolves with its error or 'complete'. */
function collect<T>(result: Observable<T>, values: T[] = []): { values: T[]; ended: Promise<unknown> } {
  const ended = new Promise<unknown>((resolve) => {
    result.subscribe({ next: (value) => values.push(value), error: resolve, complete: () => resolve('complete') });
  });
  return { values, ended };
}

describe('publishAll - sources', () => {
  it('publishAll - an array: every event emitted once confirmed, in order, then completes', async () => {
    const bus = await memoryBus();
    const input = events(50);
    const confirmed = await lastValueFrom(bus.publishAll(input, { window: 7 }).pipe(toArray()));
    expect(idsOf(confirmed)).toEqual(idsOf(input));
    expect(bus.stats().published).toBe(50);
  });

  it('publishAll - a generator is pulled only as confirms free the window', async () => {
    const bus = await memoryBus();
    const values: Event[] = [];
    const { log, source } = counted(values, 200);
    const { ended } = collect(bus.publishAll(source(), { window: 5 }), values);
    expect(await ended).toBe('complete');
    expect(values).toHaveLength(200);
    expect(idsOf(values)).toEqual(idsOf(events(200)));
    expect(log.maxAhead).toBeLessThanOrEqual(5);
  });

  it('publishAll - a generator waits while the confirms are held: exactly window events out', async () => {
    const { bus, held, release } = await heldBus(100);
    const confirmed: unknown[] = [];
    const { log, source } = counted(confirmed, 20);
    const { values, ended } = collect(bus.publishAll(source(), { window: 3 }));
    await waitFor(() => held.length === 3, { description: 'three publishes out', intervalMs: 2 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect([log.pulled, held.length, values.length]).toEqual([3, 3, 0]);
    release();
    await waitFor(() => held.length === 3 && values.length === 3, { description: 'the next three out', intervalMs: 2 });
    expect(log.pulled).toBe(6);
    const releasing = setInterval(release, 1);
    teardown(() => clearInterval(releasing));
    expect(await ended).toBe('complete');
    expect(values).toHaveLength(20);
  });

  it('publishAll - an async generator is pulled only as slots free', async () => {
    const { bus, held, release } = await heldBus(100);
    let pulled = 0;
    async function* source(): AsyncGenerator<Event> {
      for (let i = 0; i < 10; i++) {
        await Promise.resolve();
        pulled++;
        yield orderEvent('created', { order_id: `A${i}` });
      }
    }
    const { values, ended } = collect(bus.publishAll(source(), { window: 4 }));
    await waitFor(() => held.length === 4, { description: 'four publishes out', intervalMs: 2 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pulled).toBe(4);
    release();
    await waitFor(() => held.length === 4 && values.length === 4, { description: 'the next four out', intervalMs: 2 });
    expect(pulled).toBe(8);
    const releasing = setInterval(release, 1);
    teardown(() => clearInterval(releasing));
    expect(await ended).toBe('complete');
    expect(idsOf(values)).toEqual(idsOf(events(10)));
  });

  it('publishAll - an Observable: its values are queued while the window is full, all published in order', async () => {
    const bus = await memoryBus();
    const input = events(300);
    const confirmed = await lastValueFrom(bus.publishAll(of(...input), { window: 10 }).pipe(toArray()));
    expect(idsOf(confirmed)).toEqual(idsOf(input));
  });

  it('publishAll - an Observable beyond maxPendingPublishes: PUBLISH_BUFFER_FULL, the source unsubscribed, the events out still emitted', async () => {
    const { bus, held, release } = await heldBus(5);
    const source = new Subject<Event>();
    const { values, ended } = collect(bus.publishAll(source, { window: 2 }));
    for (const event of events(5)) source.next(event); // 2 out, 3 queued: at the limit
    expect(source.observed).toBe(true);
    source.next(orderEvent());
    expect(source.observed).toBe(false);
    expect(held).toHaveLength(2);
    release();
    const error = await ended;
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).code).toBe(ErrorCode.PUBLISH_BUFFER_FULL);
    expect(values).toHaveLength(2);
  });

  it('publishAll - a synchronous Observable that overflows is unsubscribed at once', async () => {
    const { bus } = await heldBus(3);
    let emitted = 0;
    const endless = new Observable<Event>((subscriber) => {
      while (!subscriber.closed && emitted < 1_000) {
        emitted++;
        subscriber.next(orderEvent());
      }
    });
    const { ended } = collect(bus.publishAll(endless, { window: 1 }));
    expect(emitted).toBe(4);
    void ended;
  });
});

describe('publishAll - errors', () => {
  it('publishAll - a bad event in the middle: the events before it emitted, then its error, and no more pulled', async () => {
    const bus = await memoryBus();
    const pulled: number[] = [];
    function* source(): Generator<unknown> {
      for (let i = 0; i < 10; i++) {
        pulled.push(i);
        yield i === 3 ? { domain: 'order' } : orderEvent('created', { order_id: `A${i}` });
      }
    }
    const { values, ended } = collect(bus.publishAll(source() as Generator<Event>, { window: 1 }));
    const error = await ended;
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(ErrorCode.INVALID_EVENT);
    expect(idsOf(values)).toEqual(['A0', 'A1', 'A2']);
    expect(pulled).toEqual([0, 1, 2, 3]);
  });

  it('publishAll - a generator that throws: the events before emitted, then its error as is', async () => {
    const bus = await memoryBus();
    const boom = new Error('boom');
    function* source(): Generator<Event> {
      yield orderEvent('created', { order_id: 'A0' });
      yield orderEvent('created', { order_id: 'A1' });
      throw boom;
    }
    const { values, ended } = collect(bus.publishAll(source()));
    expect(await ended).toBe(boom);
    expect(idsOf(values)).toEqual(['A0', 'A1']);
  });

  it('publishAll - an Observable that errors: its values published, then its error', async () => {
    const bus = await memoryBus();
    const boom = new Error('boom');
    const { values, ended } = collect(
      bus.publishAll(
        concat(
          of(...events(3)),
          throwError(() => boom),
        ),
      ),
    );
    expect(await ended).toBe(boom);
    expect(values).toHaveLength(3);
  });

  it('publishAll - unsubscribing stops pulling, and returns the iterator', async () => {
    const bus = await memoryBus();
    const { log, source } = counted([]);
    const taken = await lastValueFrom(bus.publishAll(source(), { window: 2 }).pipe(take(5), toArray()));
    expect(taken).toHaveLength(5);
    expect(log.returned).toBe(true);
    const pulled = log.pulled;
    expect(pulled).toBeLessThanOrEqual(7);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log.pulled).toBe(pulled);
  });

  it('publishAll - after close: CLOSED', async () => {
    const bus = await memoryBus();
    await bus.close();
    await expectRxError(lastValueFrom(bus.publishAll(events(1))), ConnectionError, ErrorCode.CLOSED);
  });
});

describe('publishAll - hostile sources and options', () => {
  it.each([
    ['a trapped Proxy', trappedProxy()],
    ['a revoked Proxy', revokedProxy()],
    [
      'a throwing Symbol.iterator getter',
      Object.defineProperty({}, Symbol.iterator, {
        get: () => {
          throw new Error('boom');
        },
      }),
    ],
    ['a plain object', {}],
    ['null', null],
    ['a number', 42],
  ])('publishAll - %s is refused at the call with INVALID_ARGUMENT', async (_name, source) => {
    const bus = await memoryBus();
    await expectRxError(() => bus.publishAll(source as Event[]), ConfigError, ErrorCode.INVALID_ARGUMENT);
  });

  it.each([
    ['Symbol.iterator returning a number', { [Symbol.iterator]: () => 42 }],
    [
      'Symbol.iterator throwing',
      {
        [Symbol.iterator]: () => {
          throw new Error('boom');
        },
      },
    ],
    ['next() returning a number', { [Symbol.iterator]: () => ({ next: () => 5 }) }],
    ['a result whose done getter throws', { [Symbol.iterator]: () => ({ next: () => throwingGetter('done') }) }],
    ['Symbol.asyncIterator returning garbage', { [Symbol.asyncIterator]: () => 'nope' }],
    ['an async next() resolving to null', { [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve(null) }) }],
  ])('publishAll - %s errors the result with INVALID_ARGUMENT', async (_name, source) => {
    const bus = await memoryBus();
    await expectRxError(lastValueFrom(bus.publishAll(source as unknown as Event[])), ConfigError, ErrorCode.INVALID_ARGUMENT);
  });

  it('publishAll - bad options', async () => {
    const bus = await memoryBus(10);
    await expectRxError(() => bus.publishAll([], { window: 0 }), ConfigError, ErrorCode.INVALID_OPTIONS);
    await expectRxError(() => bus.publishAll([], { window: 11 }), ConfigError, ErrorCode.INVALID_OPTIONS);
    await expectRxError(() => bus.publishAll([], { window: 1.5 }), ConfigError, ErrorCode.INVALID_OPTIONS);
    await expectRxError(() => bus.publishAll([], 'x' as never), ConfigError, ErrorCode.INVALID_ARGUMENT);
    await expectRxError(() => bus.publishAll([], throwingGetter('window')), ConfigError, ErrorCode.INVALID_ARGUMENT);
    expect(await lastValueFrom(bus.publishAll(events(12)).pipe(toArray()))).toHaveLength(12); // default window: maxPendingPublishes
  });
});
