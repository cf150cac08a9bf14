/**
 * routeMarbles: users' handlers on the bus's own delivery pipeline, in marble
 * time. Settlements are letters: `a` ack, `u` unhandled, `r` retry, `d`
 * dead-letter. One frame is 1 ms.
 */
import { deepStrictEqual } from 'node:assert';
import { NEVER, of, tap, throwError } from 'rxjs';
import { configure } from 'rxjs-marbles';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, createEvent, defineEvent, type Event, ErrorCode, type Outcome } from '../../src/index.js';
import { routeMarbles, settlementLetter, SettlementLetter } from '../../src/testing/index.js';

// rxjs-marbles has no vitest entry: its root `configure` with vitest's expect.
const { marbles } = configure({ assertDeepEqual: (actual: unknown, expected: unknown) => expect(actual).toEqual(expected), frameworkMatcher: true });

const OrderCreated = defineEvent('order', 'created').withData<{ order_id: string }>();
const OrderPaid = defineEvent('order', 'paid').withData<{ order_id: string; amount: number }>();
const created = OrderCreated.create({ order_id: 'A1' });
const paid = OrderPaid.create({ order_id: 'A1', amount: 10 });
const registered = createEvent({ domain: 'user', action: 'registered', data: { user_id: 'u1' } });

describe('routeMarbles', () => {
  it(
    'routeMarbles - ack when every matching handler completes, dead-letter when one fails, unhandled when none matches',
    marbles((m) => {
      const events$ = m.cold('   a-b-c|', { a: created, b: paid, c: registered });
      const orders = (event: Event) => (event.action === 'paid' ? throwError(() => new Error('card declined')) : of(true));
      const { settlements$, calls, outcomes$ } = routeMarbles({ scheduler: m.scheduler, handlers: [['order.*', orders]], events$ });

      m.expect(settlements$).toBeObservable('a-d-u|');
      m.expect(calls[0]).toBeObservable('   a-b--|', { a: created, b: paid });
      const reasons: string[] = [];
      outcomes$.pipe(tap((o) => o.kind === 'dead-letter' && reasons.push(o.reason))).subscribe();
      m.flush();
      expect(reasons).toEqual(['order.*: card declined']);
    }),
  );

  it(
    'routeMarbles - a delivery settles when its slowest handler completes; every matching handler runs, in isolation',
    marbles((m) => {
      const events$ = m.cold(' a|       ', { a: created });
      const slow = m.cold('     ----x|  ');
      const failing = m.cold('  --#      ', {}, new Error('db down'));
      const { settlements$, calls } = routeMarbles({
        scheduler: m.scheduler,
        handlers: [
          ['order.*', () => slow],
          ['*.created', () => failing],
        ],
        events$,
      });
      m.expect(settlements$).toBeObservable('-----(d|)');
      m.expect(calls[0]).toBeObservable('   a----|  ', { a: created });
      m.expect(calls[1]).toBeObservable('   a----|  ', { a: created });
      m.expect(slow).toHaveSubscriptions(' ^----!    ');
      m.expect(failing).toHaveSubscriptions('^-!      ');
    }),
  );

  it(
    'routeMarbles - events from a hot Observable arrive at their frames; settlements follow them',
    marbles((m) => {
      const events$ = m.hot('-^-a--b--|', { a: created, b: paid });
      const { settlements$ } = routeMarbles({ scheduler: m.scheduler, handlers: [['order.created', () => undefined]], events$ });
      m.expect(settlements$).toBeObservable('--a--u--|');
    }),
  );

  it(
    'routeMarbles - a handler still running after handlerTimeoutMs is cut off and the delivery dead-lettered at that frame',
    marbles((m) => {
      const events$ = m.cold('a----b|', { a: created, b: created });
      const { settlements$ } = routeMarbles({ scheduler: m.scheduler, handlers: [['order.created', () => NEVER]], events$, handlerTimeoutMs: 3 });
      m.expect(settlements$).toBeObservable('---d----(d|)');
    }),
  );

  it(
    'routeMarbles - a retried delivery comes back after its delay and runs only the handlers that failed',
    marbles((m) => {
      const events$ = m.cold('a|', { a: created });
      let attempts = 0;
      const flaky = () => (++attempts < 3 ? throwError(() => new Error(`attempt ${attempts} failed`)) : of(true));
      const { settlements$, calls, outcomes$ } = routeMarbles({
        scheduler: m.scheduler,
        handlers: [
          ['order.*', flaky, { retry: { attempts: 3, delaysMs: [10, 20] } }],
          ['*.created', () => of(true)],
        ],
        events$,
      });
      // Fails at 0 (retry in 10), fails at 10 (retry in 20), succeeds at 30.
      m.expect(settlements$).toBeObservable('r 9ms r 19ms (a|)');
      m.expect(calls[0]).toBeObservable('   a 9ms a 19ms (a|)', { a: created });
      m.expect(calls[1]).toBeObservable('   a 9ms - 19ms |', { a: created });
      const seen: Outcome[] = [];
      outcomes$.subscribe((o) => seen.push(o));
      m.flush();
      expect(seen.map((o) => (o.kind === 'retry' ? [o.kind, o.attempt, o.delayMs] : [o.kind]))).toEqual([['retry', 1, 10], ['retry', 2, 20], ['ack']]);
    }),
  );

  it(
    'routeMarbles - out of attempts, a retried delivery is dead-lettered; the bus retry policy applies to handlers without one',
    marbles((m) => {
      const events$ = m.cold('a|', { a: paid });
      const { settlements$ } = routeMarbles({
        scheduler: m.scheduler,
        handlers: [['order.paid', () => throwError(() => new Error('no'))]],
        retry: { attempts: 2, delaysMs: 5 },
        events$,
      });
      m.expect(settlements$).toBeObservable('r 4ms (d|)');
    }),
  );

  it(
    'routeMarbles - with a catalog, an event whose data fails its schema is dead-lettered before any handler runs',
    marbles((m) => {
      const Paid = defineEvent('order', 'paid', { schema: z.object({ order_id: z.string(), amount: z.number().positive() }) });
      const bad = createEvent({ domain: 'order', action: 'paid', data: { order_id: 'A1', amount: -1 } });
      const good = Paid.create({ order_id: 'A2', amount: 5 });
      const { settlements$, calls } = routeMarbles({ scheduler: m.scheduler, events: [Paid], handlers: [['order.paid', () => undefined]], events$: m.cold('ab|', { a: bad, b: good }) });
      m.expect(settlements$).toBeObservable('db|', { d: 'd', b: 'a' });
      m.expect(calls[0]).toBeObservable('   -b|', { b: good });
    }),
  );

  it('routeMarbles - runs under a plain TestScheduler too, with sync, Observable and object handlers', () => {
    class Audit {
      readonly seen: string[] = [];
      handle(event: Event): void {
        this.seen.push(event.id);
      }
    }
    const audit = new Audit();
    const scheduler = new TestScheduler((actual, expected) => deepStrictEqual(actual, expected));
    scheduler.run(({ cold, expectObservable }) => {
      const { settlements$, calls } = routeMarbles({
        scheduler,
        handlers: [
          ['*', audit],
          ['order.created', () => cold('--x|')],
          ['user.*', () => undefined],
        ],
        events$: cold('a-b|', { a: created, b: registered }),
      });
      // a (at 0) waits 3 frames for its Observable handler; b (at 2) settles at once.
      expectObservable(settlements$).toBe('--a(a|)');
      expectObservable(calls[0]).toBe('  a-b|', { a: created, b: registered });
      expectObservable(calls[2]).toBe('  --b|', { b: registered });
    });
    expect(audit.seen).toEqual([created.id, registered.id]);
  });

  it('routeMarbles - bad options and patterns are ConfigErrors naming the fix', () => {
    const scheduler = new TestScheduler(() => undefined);
    const events$ = of(created);
    expect(() => routeMarbles({ scheduler, handlers: [['order created', () => undefined]], events$ })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_PATTERN }));
    expect(() => routeMarbles({ scheduler, handlers: [], events$, handlerTimeoutMs: 0 })).toThrow(/handlerTimeoutMs must be a whole number/);
    expect(() => routeMarbles({ scheduler, handlers: [['order.*', () => undefined, { retry: { attempts: 0, delaysMs: 1 } }]], events$ })).toThrow(ConfigError);
  });

  it('settlementLetter - a letter per outcome kind', () => {
    expect(SettlementLetter).toEqual({ ack: 'a', unhandled: 'u', retry: 'r', 'dead-letter': 'd' });
    expect(settlementLetter({ kind: 'unhandled' })).toBe('u');
    expect(settlementLetter({ kind: 'ack', handlers: 2 })).toBe('a');
  });
});
