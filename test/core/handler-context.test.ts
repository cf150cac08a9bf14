/**
 * A handler's second argument, its context: the signal (aborted on timeout and
 * past close()'s deadline, made only when read), attempt, redelivered,
 * headers (a frozen copy) and publish (correlation and causation filled).
 * Offline: memory:// buses, the marble harness and routeMarbles.
 */
import { firstValueFrom, from, map, of, tap, throwError, timer } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  ConnectionError,
  createEvent,
  defineEvent,
  DeliveryError,
  ErrorCode,
  type Event,
  type EventBus,
  EventValidationError,
  type HandlerContext,
  RxPubsubHeader,
  type Settlement,
} from '../../src/index.js';
import { compilePattern } from '../../src/routing/pattern.js';
import { memoryBroker, routeMarbles, testBus } from '../../src/testing/index.js';
import { harness, marbles, recordingDelivery } from '../support/marbles.js';
import { orderEvent, teardown, waitFor } from '../support/rig.js';

async function bus(options: Parameters<typeof testBus>[0] = {}): Promise<EventBus> {
  const made = await testBus({ queue: 'orders', handlerTimeoutMs: 5_000, ...options });
  teardown(() => made.close());
  return made;
}

/** The next settlement of `bus`, subscribed before `publish` runs. */
async function settled(on: EventBus, publish: () => Promise<void>): Promise<Settlement> {
  const next = firstValueFrom(on.settlements$);
  await publish();
  return next;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('handler context - signal', () => {
  it('handler context - the timeout aborts the signal with the DeliveryError HANDLER_TIMEOUT the settlement reports', async () => {
    const b = await bus({ handlerTimeoutMs: 50 });
    let signal: AbortSignal | undefined;
    const aborted = vi.fn();
    b.handle('order.*', (_event, context) => {
      signal = context.signal;
      signal.addEventListener('abort', aborted);
      return new Promise<void>(() => undefined); // hangs: only the signal can stop it
    });
    await b.ready();
    const settlement = await settled(b, () => b.publish(orderEvent()));

    expect(settlement.outcome.kind).toBe('dead-letter');
    const failure = settlement.outcome.kind === 'dead-letter' ? settlement.outcome.failures[0] : undefined;
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(DeliveryError);
    expect((signal?.reason as DeliveryError).code).toBe(ErrorCode.HANDLER_TIMEOUT);
    expect(signal?.reason).toBe(failure?.error);
    expect(aborted).toHaveBeenCalledOnce();
  });

  it('handler context - an Observable handler that times out has its signal aborted too', async () => {
    const b = await bus({ handlerTimeoutMs: 30 });
    let signal: AbortSignal | undefined;
    b.handle('order.*', (_event, context) => {
      signal = context.signal;
      return timer(10_000);
    });
    await b.ready();
    await settled(b, () => b.publish(orderEvent()));
    expect((signal?.reason as DeliveryError | undefined)?.code).toBe(ErrorCode.HANDLER_TIMEOUT);
  });

  it('handler context - a signal first read after the timeout is already aborted, with the same reason', async () => {
    const b = await bus({ handlerTimeoutMs: 30 });
    let context: HandlerContext | undefined;
    b.handle('order.*', (_event, given) => {
      context = given;
      return new Promise<void>(() => undefined);
    });
    await b.ready();
    const settlement = await settled(b, () => b.publish(orderEvent()));
    const failure = settlement.outcome.kind === 'dead-letter' ? settlement.outcome.failures[0] : undefined;
    expect(context?.signal.aborted).toBe(true);
    expect(context?.signal.reason).toBe(failure?.error);
  });

  it('handler context - handlers that finish in time (a Promise, an Observable, a failure) keep an unaborted signal', async () => {
    const b = await bus();
    const signals: AbortSignal[] = [];
    b.handle('order.*', async (_event, context) => {
      signals.push(context.signal);
      await Promise.resolve();
    });
    b.handle('*.created', (_event, context) => (signals.push(context.signal), timer(5)));
    b.handle('order.created', (_event, context) => (signals.push(context.signal), throwError(() => new Error('fails'))));
    await b.ready();
    const settlement = await settled(b, () => b.publish(orderEvent()));
    expect(settlement.outcome.kind).toBe('dead-letter');
    expect(signals.map((signal) => signal.aborted)).toEqual([false, false, false]);
  });

  it('handler context - no AbortController is made for handlers that never read signal, even when they time out', async () => {
    const made = vi.spyOn(globalThis, 'AbortController');
    const b = await bus({ handlerTimeoutMs: 20 });
    b.handle('order.created', () => undefined);
    b.handle('order.paid', () => new Promise<void>(() => undefined));
    let reads = 0;
    b.handle('order.shipped', (_event, context) => void (reads++, context.signal));
    await b.ready();
    const settlements: Settlement[] = [];
    const subscription = b.settlements$.subscribe((s) => settlements.push(s));
    teardown(() => subscription.unsubscribe());
    for (let i = 0; i < 20; i++) await b.publish(orderEvent('created'));
    await b.publish(orderEvent('paid'));
    await waitFor(() => settlements.length === 21, { timeoutMs: 5_000, description: '21 settlements' });
    expect(made).not.toHaveBeenCalled();

    await b.publish(orderEvent('shipped'));
    await waitFor(() => settlements.length === 22, { timeoutMs: 5_000, description: 'the shipped settlement' });
    expect(reads).toBe(1);
    expect(made).toHaveBeenCalledOnce();
  });

  it('handler context - close() past its deadline aborts a hanging handler\'s signal with ConnectionError CLOSED', async () => {
    const b = await testBus({ queue: 'orders' });
    let signal: AbortSignal | undefined;
    b.handle('order.*', (_event, context) => {
      signal = context.signal;
      return new Promise<void>(() => undefined);
    });
    await b.ready();
    await b.publish(orderEvent());
    await waitFor(() => signal !== undefined, { timeoutMs: 5_000, description: 'the handler to start' });
    expect(signal?.aborted).toBe(false);

    await b.close({ timeoutMs: 20 });
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(ConnectionError);
    expect((signal?.reason as ConnectionError).code).toBe(ErrorCode.CLOSED);
  });

  it('handler context - abort listeners and onabort that throw or reject do not crash the process', async () => {
    const b = await bus({ handlerTimeoutMs: 20 });
    const called: string[] = [];
    b.handle('order.*', (_event, { signal }) => {
      signal.addEventListener('abort', () => {
        called.push('listener');
        throw new Error('listener failed');
      });
      signal.addEventListener('abort', {
        handleEvent: () => {
          called.push('object');
          throw new Error('object listener failed');
        },
      });
      signal.addEventListener('abort', async () => {
        called.push('async');
        await Promise.resolve();
        throw new Error('async listener failed');
      });
      signal.onabort = () => {
        called.push('onabort');
        throw new Error('onabort failed');
      };
      return new Promise<void>(() => undefined);
    });
    await b.ready();
    await settled(b, () => b.publish(orderEvent()));
    // An uncaught exception would fail this file's run (vitest reports it); give the next ticks a chance to happen.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(called.sort()).toEqual(['async', 'listener', 'object', 'onabort']);
  });

  it('handler context - a removed listener is not called', async () => {
    const b = await bus({ handlerTimeoutMs: 20 });
    const listener = vi.fn();
    b.handle('order.*', (_event, { signal }) => {
      signal.addEventListener('abort', listener);
      signal.removeEventListener('abort', listener);
      return new Promise<void>(() => undefined);
    });
    await b.ready();
    await settled(b, () => b.publish(orderEvent()));
    expect(listener).not.toHaveBeenCalled();
  });
});

describe('handler context - attempt and redelivered', () => {
  it(
    'handler context - attempt is 1, then 2, then 3 across retries',
    marbles((m) => {
      const attempts: number[] = [];
      const flaky = (_event: Event, context: HandlerContext) => {
        attempts.push(context.attempt);
        return context.attempt < 3 ? throwError(() => new Error('not yet')) : of(true);
      };
      const { settlements$ } = routeMarbles({
        scheduler: m.scheduler,
        handlers: [['order.*', flaky]],
        events$: m.cold('a|', { a: orderEvent() }),
        retry: { attempts: 3, delaysMs: 2 },
      });
      m.expect(settlements$).toBeObservable('r-r---(a|)');
      m.flush();
      expect(attempts).toEqual([1, 2, 3]);
    }),
  );

  it('handler context - redelivered is the broker\'s flag', () => {
    const seen: boolean[] = [];
    const h = harness(undefined);
    h.registry.add(compilePattern('order.*'), { handler: (_event, context) => void seen.push(context.redelivered) });
    const deliveries = [recordingDelivery('order.created', 'e1'), recordingDelivery('order.created', 'e2', { redelivered: true })];
    h.run(from(deliveries)).subscribe();
    expect(seen).toEqual([false, true]);
  });

  it('handler context - attempt is 1 on a message that forges our attempts header (trusted only from our delay queue)', () => {
    const seen: number[] = [];
    const h = harness(undefined);
    h.registry.add(compilePattern('order.*'), { handler: (_event, context) => void seen.push(context.attempt) });
    h.run(of(recordingDelivery('order.created', 'e1', { headers: { [RxPubsubHeader.ATTEMPTS]: 7 } }))).subscribe();
    expect(seen).toEqual([1]);
  });
});

describe('handler context - headers', () => {
  it('handler context - headers are the publisher\'s, frozen (deeply), and a change by one handler reaches no one else', async () => {
    const b = await bus();
    const seen: Readonly<Record<string, unknown>>[] = [];
    const changes: string[] = [];
    const tryChange = (what: string, change: () => void): void => {
      try {
        change();
      } catch {
        changes.push(`${what} refused`);
      }
    };
    b.handle('order.*', (_event, { headers }) => {
      seen.push(headers);
      tryChange('set', () => ((headers as Record<string, unknown>).tenant = 'evil'));
      tryChange('nested', () => ((headers.nested as Record<string, unknown>).level = 'evil'));
      tryChange('array', () => (headers.list as unknown[]).push('evil'));
    });
    b.handle('*.created', (_event, { headers }) => void seen.push(headers));
    await b.ready();
    await settled(b, () => b.publish(orderEvent(), { headers: { tenant: 'acme', nested: { level: 1 }, list: ['a'] } }));

    expect(changes).toEqual(['set refused', 'nested refused', 'array refused']);
    expect(seen).toHaveLength(2);
    for (const headers of seen) expect(headers).toEqual({ tenant: 'acme', nested: { level: 1 }, list: ['a'] });
    expect(Object.isFrozen(seen[0])).toBe(true);
    expect(seen[0]).not.toBe(seen[1]); // one copy per handler run
  });

  it('handler context - headers are {} for a message without any, and read the same on every read', async () => {
    const b = await bus();
    let context: HandlerContext | undefined;
    b.handle('order.*', (_event, given) => void (context = given));
    await b.ready();
    await settled(b, () => b.publish(orderEvent()));
    expect(context?.headers).toEqual({});
    expect(context?.headers).toBe(context?.headers);
  });

  it('handler context - the delivery\'s own headers stay as they were: a dead-letter copy carries the originals', async () => {
    const b = await bus();
    b.handle('order.*', (_event, { headers }) => {
      expect(() => ((headers as Record<string, unknown>).tenant = 'evil')).toThrow(TypeError);
      throw new Error('fails, to dead-letter it');
    });
    await b.ready();
    await settled(b, () => b.publish(orderEvent(), { headers: { tenant: 'acme' } }));
    const [dead] = memoryBroker(b).peek('orders.dlq');
    expect(dead?.properties.headers?.tenant).toBe('acme');
  });
});

describe('handler context - publish', () => {
  it('handler context - publish fills correlationId (the handled event\'s id when it has none) and causationId', async () => {
    const b = await bus();
    const received: Event[] = [];
    b.handle('order.created', (_event, { publish }) => publish(orderEvent('paid')));
    b.handle('order.paid', (_event, context) => context.publish(orderEvent('shipped')));
    b.handle('order.{paid,shipped}', (event) => void received.push(event));
    await b.ready();
    const first = orderEvent('created');
    await b.publish(first);
    await waitFor(() => received.length === 2, { timeoutMs: 5_000, description: 'paid and shipped' });

    const [paid, shipped] = [received.find((e) => e.action === 'paid'), received.find((e) => e.action === 'shipped')];
    expect(paid).toMatchObject({ correlationId: first.id, causationId: first.id });
    expect(shipped).toMatchObject({ correlationId: first.id, causationId: paid?.id });
  });

  it('handler context - a correlationId or causationId the published event has wins; the handled event\'s correlationId carries on', async () => {
    const b = await bus();
    const received: Event[] = [];
    b.handle('order.created', async (_event, { publish }) => {
      await publish(createEvent({ domain: 'order', action: 'paid', data: {}, correlationId: 'mine' }));
      await publish(createEvent({ domain: 'order', action: 'shipped', data: {}, causationId: 'cmd-1' }));
    });
    b.handle('order.{paid,shipped}', (event) => void received.push(event));
    await b.ready();
    const first = createEvent({ domain: 'order', action: 'created', data: {}, correlationId: 'saga-9' });
    await b.publish(first);
    await waitFor(() => received.length === 2, { timeoutMs: 5_000, description: 'paid and shipped' });

    expect(received.find((e) => e.action === 'paid')).toMatchObject({ correlationId: 'mine', causationId: first.id });
    expect(received.find((e) => e.action === 'shipped')).toMatchObject({ correlationId: 'saga-9', causationId: 'cmd-1' });
  });

  it('handler context - publish checks as bus.publish does: a bad event or option rejects with a typed error, the handler decides', async () => {
    const b = await bus();
    const errors: unknown[] = [];
    b.handle('order.created', async (_event, { publish }) => {
      await publish({ domain: 'not a word' } as never).catch((error: unknown) => errors.push(error));
      await publish(orderEvent('paid'), { headers: { 'x-death': 1 } } as never).catch((error: unknown) => errors.push(error));
      await publish(null as never).catch((error: unknown) => errors.push(error));
    });
    await b.ready();
    const settlement = await settled(b, () => b.publish(orderEvent()));
    expect(settlement.outcome.kind).toBe('ack');
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual([ErrorCode.INVALID_EVENT, ErrorCode.INVALID_OPTIONS, ErrorCode.INVALID_EVENT]);
  });

  it('handler context - on a catalog bus context.publish goes through the catalog: its schema checks the data', async () => {
    const OrderCreated = defineEvent('order', 'created', { schema: z.object({ order_id: z.string() }) });
    const OrderPaid = defineEvent('order', 'paid', { schema: z.object({ order_id: z.string(), amount: z.number() }) });
    const b = await testBus({ queue: 'orders', events: [OrderCreated, OrderPaid] });
    teardown(() => b.close());
    const paid: Event[] = [];
    let refused: unknown;
    b.handle('order.created', async (event, { publish }) => {
      refused = await publish(OrderPaid.create({ order_id: 'A1', amount: 'ten' } as never)).then(() => undefined, (e: unknown) => e);
      await publish(OrderPaid.create({ order_id: event.data.order_id, amount: 10 }));
    });
    b.handle('order.paid', (event) => void paid.push(event));
    await b.ready();
    const first = OrderCreated.create({ order_id: 'A1' });
    await b.publish(first);
    await waitFor(() => paid.length === 1, { timeoutMs: 5_000, description: 'the paid event' });
    expect(refused).toBeInstanceOf(EventValidationError);
    expect(paid[0]).toMatchObject({ data: { order_id: 'A1', amount: 10 }, correlationId: first.id, causationId: first.id });
  });

  it('handler context - publish passes the options on: the published message carries the headers', async () => {
    const b = await bus();
    let headers: Readonly<Record<string, unknown>> | undefined;
    b.handle('order.created', (_event, { publish }) => publish(orderEvent('paid'), { headers: { tenant: 'acme' } }));
    b.handle('order.paid', (_event, context) => void (headers = context.headers));
    await b.ready();
    await b.publish(orderEvent());
    await waitFor(() => headers !== undefined, { timeoutMs: 5_000, description: 'the paid event' });
    expect(headers).toEqual({ tenant: 'acme' });
  });

  it('handler context - context.publish after close() rejects with CLOSED, as bus.publish does', async () => {
    const b = await testBus({ queue: 'orders' });
    let publish: HandlerContext['publish'] | undefined;
    b.handle('order.*', (_event, context) => void (publish = context.publish));
    await b.ready();
    await settled(b, () => b.publish(orderEvent()));
    await b.close();
    await expect(publish?.(orderEvent('paid'))).rejects.toMatchObject({ code: ErrorCode.CLOSED });
  });

  it(
    'handler context - routeMarbles records what handlers publish on published$, with correlation and causation, at the frame',
    marbles((m) => {
      const first = orderEvent('created');
      const published: Event[] = [];
      const { settlements$, published$ } = routeMarbles({
        scheduler: m.scheduler,
        handlers: [['order.created', (_event, { publish }) => timer(2, m.scheduler).pipe(tap(() => void publish(orderEvent('paid'))))]],
        events$: m.cold('a|', { a: first }),
      });
      m.expect(settlements$).toBeObservable('--(a|)');
      m.expect(published$.pipe(tap((event) => published.push(event)), map(() => 'p'))).toBeObservable('--(p|)');
      m.flush();
      expect(published).toEqual([expect.objectContaining({ action: 'paid', correlationId: first.id, causationId: first.id })]);
    }),
  );
});
