/**
 * The delivery pipeline in virtual time: deliveries → decode → route → every
 * matching handler (isolated, with a timeout) → one outcome → settle.
 *
 * Settlements are drawn as letters: `a` ack, `u` unhandled, `r` retry, `d` dead-letter.
 * One frame is 1 ms, so `handlerTimeoutMs: 10` times out at frame 10.
 */
import { lastValueFrom, map, type Observable, of, tap, throwError, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { HandlerResult } from '../../src/core/handler.js';
import type { HandlerFailure, Outcome, Settlement } from '../../src/core/outcome.js';
import { runHandler } from '../../src/core/run-handler.js';
import { DeliveryError, ErrorCode, isRxPubsubError } from '../../src/errors.js';
import { createEvent, type Event } from '../../src/event/event.js';
import { harness, marbles, outcomeOf, recordingDelivery, settleAtOnce, testScheduler } from '../support/marbles.js';

/** The dead-letter outcome of a settlement, or a test failure. */
function deadLetterOf(settlement: Settlement | undefined): Extract<Outcome, { kind: 'dead-letter' }> {
  return outcomeOf(settlement, 'dead-letter');
}

const orderCreated = (id = 'e1') => recordingDelivery('order.created', id);

// ---------------------------------------------------------------------------

describe('processDeliveries', () => {
  it(
    'processDeliveries - every matching handler succeeds → ack, once the slowest completed',
    marbles((m) => {
      const h = harness(m.scheduler);
      const d = orderCreated();
      const deliveries = m.cold(' a|       ', { a: d });
      const orders = m.cold('     --x|     ');
      const created = m.cold('    ----x|   ');
      const expected = '          -----(a|)';
      const seen: Event[] = [];
      h.registry.add('order.*', { handler: (event) => (seen.push(event), orders) });
      h.registry.add('*.created', { handler: (event) => (seen.push(event), created) });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.expect(orders).toHaveSubscriptions('   ^--!     ');
      m.expect(created).toHaveSubscriptions('  ^----!   ');
      m.flush();

      expect(seen.map((e) => e.id)).toEqual(['e1', 'e1']);
      expect(h.settlements[0]).toMatchObject({ delivery: d, event: { id: 'e1', domain: 'order', action: 'created' } });
      expect(h.settlements[0]?.outcome).toStrictEqual({ kind: 'ack', handlers: 2 });
      expect(d.settledWith).toEqual(['ack']);
    }),
  );

  it(
    'processDeliveries - one handler fails → dead-letter, and its sibling still runs to completion (isolation)',
    marbles((m) => {
      const h = harness(m.scheduler);
      const d = orderCreated();
      const deliveries = m.cold(' a|         ', { a: d });
      const failing = m.cold('    --#        ', {}, new Error('db down'));
      const sibling = m.cold('    -----x|    ');
      const expected = '          ------(d|) ';
      h.registry.add('order.*', { handler: () => failing });
      h.registry.add('*.created', { handler: () => sibling });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.expect(failing).toHaveSubscriptions('  ^-!        ');
      // Completed at frame 6, not cut at frame 2 when its sibling errored.
      m.expect(sibling).toHaveSubscriptions('  ^-----!    ');
      m.flush();

      const outcome = deadLetterOf(h.settlements[0]);
      expect(outcome.reason).toBe('order.*: db down');
      expect(outcome.failures).toHaveLength(1);
      expect(outcome.failures[0]?.pattern).toBe('order.*');
      expect((outcome.failures[0]?.error as Error).message).toBe('db down');
      expect(d.settledWith).toEqual(['reject']);
    }),
  );

  it(
    'processDeliveries - a handler that completes without a value succeeds',
    marbles((m) => {
      const h = harness(m.scheduler);
      const deliveries = m.cold(' a|    ', { a: orderCreated() });
      const empty = m.cold('      --|   ');
      const expected = '          --(a|)';
      h.registry.add('order.*', { handler: () => empty });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.expect(empty).toHaveSubscriptions('^-!   ');
    }),
  );

  it(
    'processDeliveries - a handler that emits many values succeeds when it completes',
    marbles((m) => {
      const h = harness(m.scheduler);
      const deliveries = m.cold(' a|     ', { a: orderCreated() });
      const chatty = m.cold('     xyz|   ');
      const expected = '          ---(a|)';
      h.registry.add('order.*', { handler: () => chatty });

      m.expect(h.run(deliveries)).toBeObservable(expected);
    }),
  );

  it(
    'processDeliveries - a handler that never completes is dead-lettered at exactly handlerTimeoutMs',
    marbles((m) => {
      const h = harness(m.scheduler, { handlerTimeoutMs: 10 });
      const deliveries = m.cold(' a|             ', { a: orderCreated() });
      const never = m.cold('      -              ');
      const expected = '          ----------(d|)';
      const subs = '              ^---------!    ';
      h.registry.add('order.*', { handler: () => never });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.expect(never).toHaveSubscriptions(subs);
      m.flush();

      const outcome = deadLetterOf(h.settlements[0]);
      expect(outcome.reason).toBe('order.*: handler for "order.*" timed out after 10 ms');
      expect(isRxPubsubError(outcome.failures[0]?.error, ErrorCode.HANDLER_TIMEOUT)).toBe(true);
    }),
  );

  it(
    'processDeliveries - the timeout bounds the whole run, not the first value',
    marbles((m) => {
      const h = harness(m.scheduler, { handlerTimeoutMs: 10 });
      const deliveries = m.cold(' a|             ', { a: orderCreated() });
      const lingering = m.cold('  x 19ms |       ');
      const expected = '          ----------(d|)';
      h.registry.add('order.*', { handler: () => lingering });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.expect(lingering).toHaveSubscriptions('^---------!');
    }),
  );

  it(
    'processDeliveries - a slow handler that completes before the timeout succeeds',
    marbles((m) => {
      const h = harness(m.scheduler, { handlerTimeoutMs: 10 });
      const deliveries = m.cold(' a|          ', { a: orderCreated() });
      const slow = m.cold('       -------x|   ');
      const expected = '          --------(a|)';
      h.registry.add('order.*', { handler: () => slow });

      m.expect(h.run(deliveries)).toBeObservable(expected);
    }),
  );

  it(
    'processDeliveries - a routing key no handler matches → unhandled, no handler called',
    marbles((m) => {
      const h = harness(m.scheduler);
      const a = orderCreated('e1');
      const b = recordingDelivery('user.deleted', 'e2');
      const c = recordingDelivery('order.paid', 'e3');
      const deliveries = m.cold(' a-b-c| ', { a, b, c });
      const expected = '          a-u-a| ';
      const handled: string[] = [];
      h.registry.add('order.*', {
        handler: (event) => {
          handled.push(event.id);
        },
      });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      expect(handled).toEqual(['e1', 'e3']);
      expect(h.settlements[1]).toStrictEqual({ delivery: b, event: h.observed[1], outcome: { kind: 'unhandled' }, handlers: [], sent: true });
      expect(h.settlements[1]?.event?.id).toBe('e2');
      expect(b.settledWith).toEqual(['ack']);
    }),
  );

  it(
    'processDeliveries - a body that is not an event → dead-letter with the reason and no event; the next delivery goes on',
    marbles((m) => {
      const h = harness(m.scheduler);
      const bad = recordingDelivery('order.created', 'e1', { rawBody: 'not json at all' });
      const good = orderCreated('e2');
      const deliveries = m.cold(' a-b| ', { a: bad, b: good });
      const expected = '          d-a| ';
      const handled: string[] = [];
      h.registry.add('order.*', {
        handler: (event) => {
          handled.push(event.id);
        },
      });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      expect(h.settlements[0]?.event).toBeUndefined();
      expect(h.settlements[0]?.delivery).toBe(bad);
      const outcome = deadLetterOf(h.settlements[0]);
      expect(outcome.reason).toBe('body is not JSON');
      expect(outcome.failures).toHaveLength(1);
      expect(outcome.failures[0]?.pattern).toBe('');
      expect(isRxPubsubError(outcome.failures[0]?.error, ErrorCode.BAD_MESSAGE)).toBe(true);
      // Neither the handlers nor the on$ streams saw the bad body.
      expect(handled).toEqual(['e2']);
      expect(h.observed.map((e) => e.id)).toEqual(['e2']);
      expect(bad.settledWith).toEqual(['reject']);
      expect(good.settledWith).toEqual(['ack']);
    }),
  );

  it(
    'processDeliveries - a handler that throws synchronously fails alone; its sibling still completes',
    marbles((m) => {
      const h = harness(m.scheduler);
      const deliveries = m.cold(' a|       ', { a: orderCreated() });
      const sibling = m.cold('    ---x|    ');
      const expected = '          ----(d|) ';
      h.registry.add('order.*', {
        handler: () => {
          throw new Error('sync boom');
        },
      });
      h.registry.add('*.created', { handler: () => sibling });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.expect(sibling).toHaveSubscriptions('^---!    ');
      m.flush();

      expect(deadLetterOf(h.settlements[0]).reason).toBe('order.*: sync boom');
    }),
  );

  it(
    'processDeliveries - object handlers are called as methods',
    marbles((m) => {
      const h = harness(m.scheduler);
      const deliveries = m.cold(' a|   ', { a: orderCreated() });
      const expected = '          -(a|)';
      class SendEmail {
        readonly sent: string[] = [];
        constructor(private readonly done$: Observable<unknown>) {}
        handle(event: Event): HandlerResult {
          this.sent.push(event.id);
          return this.done$;
        }
      }
      const handler = new SendEmail(m.cold('-|'));
      h.registry.add('order.*', { handler });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      expect(handler.sent).toEqual(['e1']);
    }),
  );

  it(
    'processDeliveries - a plain value returned by a handler counts as success',
    marbles((m) => {
      const h = harness(m.scheduler);
      const deliveries = m.cold(' a|', { a: orderCreated() });
      const expected = '          a|';
      h.registry.add('order.*', { handler: () => 42 as unknown as HandlerResult });
      h.registry.add('*.created', { handler: () => ({ ok: true }) as unknown as HandlerResult });

      m.expect(h.run(deliveries)).toBeObservable(expected);
    }),
  );

  it(
    'processDeliveries - with concurrency 2, the third delivery starts only when the first settles',
    marbles((m) => {
      const h = harness(m.scheduler, { concurrency: 2 });
      const deliveries = m.cold(' (abc|)             ', { a: orderCreated('e1'), b: orderCreated('e2'), c: orderCreated('e3') });
      const slow = m.cold('       -----x|            ');
      const expected = '          ------(aa)--(a|)  ';
      const subs = [
        '                         ^-----!            ',
        '                         ^-----!            ',
        '                         ------^-----!      ',
      ];
      const calledAt: [string, number][] = [];
      h.registry.add('order.*', {
        handler: (event) => {
          calledAt.push([event.id, m.scheduler.now()]);
          return slow;
        },
      });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.expect(slow).toHaveSubscriptions(subs);
      m.flush();

      expect(calledAt).toEqual([['e1', 0], ['e2', 0], ['e3', 6]]);
    }),
  );

  it(
    'processDeliveries - a concurrency slot is held until settle completes, not only the handlers',
    marbles((m) => {
      const settleTime = m.cold('--|');
      const h = harness(m.scheduler, { concurrency: 1, settle: () => settleTime });
      const deliveries = m.cold(' (ab|)          ', { a: orderCreated('e1'), b: orderCreated('e2') });
      const work = m.cold('       -x|            ');
      const expected = '          ----a---(a|)   ';
      const calledAt: number[] = [];
      h.registry.add('order.*', {
        handler: () => {
          calledAt.push(m.scheduler.now());
          return work;
        },
      });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.expect(work).toHaveSubscriptions(['^-!', '----^-!']);
      m.expect(settleTime).toHaveSubscriptions(['--^-!', '------^-!']);
      m.flush();

      expect(calledAt).toEqual([0, 4]);
    }),
  );

  it(
    'processDeliveries - the reason names each failed pattern with its error message',
    marbles((m) => {
      const h = harness(m.scheduler);
      const deliveries = m.cold(' a|    ', { a: orderCreated() });
      const expected = '          --(d|)';
      h.registry.add('order.*', { handler: () => m.cold('-#', {}, new Error('db down')) });
      h.registry.add('order.created', { handler: () => m.cold('--|') });
      h.registry.add('*.created', {
        handler: () => {
          throw 'smtp down';
        },
      });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      const outcome = deadLetterOf(h.settlements[0]);
      expect(outcome.reason).toBe('order.*: db down; *.created: handler for "*.created" failed with "smtp down"');
      expect(outcome.failures.map((f: HandlerFailure) => f.pattern)).toEqual(['order.*', '*.created']);
      // A thrown non-Error becomes a HANDLER_FAILED error that keeps the value as its cause.
      const wrapped = outcome.failures[1]?.error;
      expect(isRxPubsubError(wrapped, ErrorCode.HANDLER_FAILED)).toBe(true);
      expect((wrapped as Error).cause).toBe('smtp down');
    }),
  );

  it(
    'processDeliveries - a long reason is cut to 1000 characters, ending with an ellipsis',
    marbles((m) => {
      const h = harness(m.scheduler);
      const deliveries = m.cold(' a|', { a: orderCreated() });
      const expected = '          d|';
      h.registry.add('order.*', {
        handler: () => {
          throw new Error('x'.repeat(5000));
        },
      });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      const outcome = deadLetterOf(h.settlements[0]);
      expect(outcome.reason).toHaveLength(1000);
      expect(outcome.reason.startsWith('order.*: xxx')).toBe(true);
      expect(outcome.reason.endsWith('…')).toBe(true);
      // The failure itself keeps the whole error.
      expect((outcome.failures[0]?.error as Error).message).toHaveLength(5000);
    }),
  );

  it(
    'processDeliveries - a settlement is emitted only once settle completed',
    marbles((m) => {
      const settleTime = m.cold('---x|');
      const h = harness(m.scheduler, { settle: () => settleTime });
      const deliveries = m.cold(' a|      ', { a: orderCreated() });
      const expected = '          ----(a|)';
      h.registry.add('order.*', { handler: () => undefined });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.expect(settleTime).toHaveSubscriptions('^---!');
    }),
  );

  it(
    'processDeliveries - a settle that errors does not stop the stream',
    marbles((m) => {
      const first = orderCreated('e1');
      const second = orderCreated('e2');
      const h = harness(m.scheduler, {
        settle: (delivery, outcome) => (delivery === first ? m.cold('-#', {}, new Error('channel closed')) : settleAtOnce(delivery, outcome)),
      });
      const deliveries = m.cold(' a-b|', { a: first, b: second });
      const expected = '          -aa|';
      h.registry.add('order.*', { handler: () => undefined });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      expect(h.settlements.map((s) => s.delivery)).toEqual([first, second]);
      expect(second.settledWith).toEqual(['ack']);
    }),
  );

  it(
    'processDeliveries - observe sees every decoded event before its handlers run',
    marbles((m) => {
      const log: string[] = [];
      const h = harness(m.scheduler, { observe: (event) => log.push(`observe ${event.id}`) });
      const deliveries = m.cold(' a-b|', { a: orderCreated('e1'), b: recordingDelivery('user.deleted', 'e2') });
      const expected = '          a-u|';
      h.registry.add('order.*', {
        handler: (event) => {
          log.push(`handle ${event.id}`);
        },
      });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      expect(log).toEqual(['observe e1', 'handle e1', 'observe e2']);
    }),
  );

  it(
    'processDeliveries - unsubscribing cancels the running handlers and the source',
    marbles((m) => {
      const h = harness(m.scheduler);
      const deliveries = m.cold(' a----b|', { a: orderCreated('e1'), b: orderCreated('e2') });
      const work = m.cold('       ------x|');
      const unsub = '             ^--!    ';
      const expected = '          ---     ';
      h.registry.add('order.*', { handler: () => work });

      m.expect(h.run(deliveries), unsub).toBeObservable(expected);
      m.expect(work).toHaveSubscriptions('^--!    ');
      m.expect(deliveries).toHaveSubscriptions('^--!');
      m.flush();

      expect(h.settlements).toEqual([]);
    }),
  );

  it('processDeliveries - hot deliveries with the plain TestScheduler', () => {
    const scheduler = testScheduler();
    scheduler.run(({ hot, cold, expectObservable, expectSubscriptions }) => {
      const h = harness(scheduler, { handlerTimeoutMs: 5 });
      const deliveries = hot('  -a---b--c--|   ', { a: orderCreated('e1'), b: recordingDelivery('user.x', 'e2'), c: orderCreated('e3') });
      const work = cold('        --x|           ');
      const expected = '        ----au-----(a|)';
      const subs = ['           -^--!           ', '           --------^--!   '];
      h.registry.add('order.*', { handler: () => work });

      expectObservable(h.run(deliveries)).toBe(expected, { a: 'a', u: 'u' });
      expectSubscriptions(work.subscriptions).toBe(subs);
    });
  });
});

describe('processDeliveries - Promise handlers (real time)', () => {
  // A Promise settles in a microtask, which never runs inside a synchronous
  // TestScheduler flush: in virtual time every Promise handler would hit the
  // timeout. So these run without a scheduler, against real (short) time.
  it('processDeliveries - a handler whose Promise resolves succeeds → ack', async () => {
    const h = harness(undefined, { handlerTimeoutMs: 1_000 });
    const handled: string[] = [];
    h.registry.add('order.*', {
      handler: async (event) => {
        handled.push(event.id);
        await Promise.resolve();
      },
    });
    const d = orderCreated();

    expect(await lastValueFrom(h.run(of(d)).pipe(toArray()))).toEqual(['a']);
    expect(handled).toEqual(['e1']);
    expect(d.settledWith).toEqual(['ack']);
  });

  it('processDeliveries - a handler whose Promise rejects fails → dead-letter with its message, sibling unaffected', async () => {
    const h = harness(undefined, { handlerTimeoutMs: 1_000 });
    let siblingDone = false;
    h.registry.add('order.*', { handler: () => Promise.reject(new Error('rejected!')) });
    h.registry.add('*.created', {
      handler: async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        siblingDone = true;
      },
    });

    expect(await lastValueFrom(h.run(of(orderCreated())).pipe(toArray()))).toEqual(['d']);
    expect(siblingDone).toBe(true);
    expect(deadLetterOf(h.settlements[0]).reason).toBe('order.*: rejected!');
  });

  it('processDeliveries - a Promise that never settles times out in real time', async () => {
    const h = harness(undefined, { handlerTimeoutMs: 30 });
    h.registry.add('order.*', { handler: () => new Promise<void>(() => {}) });
    const started = Date.now();

    expect(await lastValueFrom(h.run(of(orderCreated())).pipe(toArray()))).toEqual(['d']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(isRxPubsubError(deadLetterOf(h.settlements[0]).failures[0]?.error, ErrorCode.HANDLER_TIMEOUT)).toBe(true);
  });
});

describe('runHandler', () => {
  const event = createEvent({ domain: 'order', action: 'created', data: {} });

  it('runHandler - emits null exactly once when the handler completes', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const work = cold('  -x-y-|  ');
      const expected = '   -----(n|)';
      expectObservable(runHandler(() => work, 'order.*', event, 100)).toBe(expected, { n: null });
    });
  });

  it('runHandler - emits the failure as a value, never as an error', () => {
    const error = new Error('boom');
    testScheduler().run(({ cold, expectObservable }) => {
      const work = cold('  --#     ', {}, error);
      const expected = '   --(f|)  ';
      expectObservable(runHandler(() => work, 'order.*', event, 100)).toBe(expected, { f: { pattern: 'order.*', error } });
    });
  });

  it(
    'runHandler - times out with HANDLER_TIMEOUT on the given scheduler',
    marbles((m) => {
      const never = m.cold('-');
      const failures: (HandlerFailure | null)[] = [];
      const run$ = runHandler(() => never, 'user.*', event, 3, m.scheduler).pipe(tap((f) => failures.push(f)), map(() => 'f'));
      m.expect(run$).toBeObservable('---(f|)');
      m.expect(never).toHaveSubscriptions('^--!');
      m.flush();

      expect(failures).toHaveLength(1);
      expect(isRxPubsubError(failures[0]?.error, ErrorCode.HANDLER_TIMEOUT)).toBe(true);
      expect((failures[0]?.error as Error).message).toBe('handler for "user.*" timed out after 3 ms');
    }),
  );

  it(
    'runHandler - a Promise that never settles times out on the given scheduler, once',
    marbles((m) => {
      const failures: (HandlerFailure | null)[] = [];
      const run$ = runHandler(() => new Promise<void>(() => {}), 'user.*', event, 4, m.scheduler).pipe(tap((f) => failures.push(f)), map(() => 'f'));
      m.expect(run$).toBeObservable('----(f|)');
      m.flush();
      expect(failures).toHaveLength(1);
      expect((failures[0]?.error as Error).message).toBe('handler for "user.*" timed out after 4 ms');
    }),
  );

  it('runHandler - a Promise settling after its timeout or after unsubscription emits nothing more, and its rejection is not left unhandled', async () => {
    let reject!: (error: Error) => void;
    const late = new Promise<void>((_, r) => (reject = r));
    const seen: (HandlerFailure | null)[] = [];
    const subscription = runHandler(() => late, 'order.*', event, 5).subscribe((f) => seen.push(f));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toHaveLength(1);
    expect(isRxPubsubError(seen[0]?.error, ErrorCode.HANDLER_TIMEOUT)).toBe(true);
    reject(new Error('too late'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(seen).toHaveLength(1);
    subscription.unsubscribe();

    let resolveCancelled!: () => void;
    const cancelled: (HandlerFailure | null)[] = [];
    runHandler(() => new Promise<void>((r) => (resolveCancelled = r)), 'order.*', event, 1_000).subscribe((f) => cancelled.push(f)).unsubscribe();
    resolveCancelled();
    await Promise.resolve();
    expect(cancelled).toEqual([]);
  });

  it('runHandler - a thenable whose then() throws is that handler\'s failure, as a value', () => {
    const error = new Error('broken thenable');
    const thenable = { then: () => { throw error; } };
    testScheduler().run(({ expectObservable }) => {
      expectObservable(runHandler(() => thenable, 'order.*', event, 100)).toBe('(f|)', { f: { pattern: 'order.*', error } });
    });
  });

  it('runHandler - a thenable that is also an Observable is followed as the Observable', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const work = cold('---|');
      const both = Object.assign(work, { then: () => undefined });
      expectObservable(runHandler(() => both, 'order.*', event, 100)).toBe('---(n|)', { n: null });
    });
  });

  it('runHandler - calls the handler only on subscription (lazy)', () => {
    let calls = 0;
    const run$ = runHandler(() => {
      calls++;
    }, 'order.*', event, 100);
    expect(calls).toBe(0);
    testScheduler().run(({ expectObservable }) => {
      expectObservable(run$).toBe('(n|)', { n: null });
    });
    expect(calls).toBe(1);
  });

  it.each([
    ['a string', 'smtp down', '"smtp down"'],
    ['a number', 42, '42'],
    ['an object', { status: 503 }, '{"status":503}'],
    ['undefined', undefined, 'undefined'],
  ])('runHandler - a thrown non-Error (%s) becomes HANDLER_FAILED with the value as its cause', (_label, value, shown) => {
    const failures: (HandlerFailure | null)[] = [];
    testScheduler().run(({ expectObservable }) => {
      const run$ = runHandler(() => throwError(() => value), 'a.b', event, 100).pipe(tap((f) => failures.push(f)), map(() => 'f'));
      expectObservable(run$).toBe('(f|)');
    });
    const error = failures[0]?.error;
    expect(failures[0]?.pattern).toBe('a.b');
    expect(isRxPubsubError(error, ErrorCode.HANDLER_FAILED)).toBe(true);
    expect((error as Error).message).toBe(`handler for "a.b" failed with ${shown}`);
    expect((error as Error).cause).toBe(value);
  });

  it('runHandler - an Observable error surfaces as a failure of the pattern', () => {
    testScheduler().run(({ expectObservable }) => {
      const error = new DeliveryError(ErrorCode.HANDLER_FAILED, 'nope');
      expectObservable(runHandler(() => throwError(() => error), 'a.b', event, 100)).toBe('(f|)', { f: { pattern: 'a.b', error } });
    });
  });
});
