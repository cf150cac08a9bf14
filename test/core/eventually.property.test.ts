/**
 * thenDo over an Observable is a hand-written `mergeMap(next)` that emits a
 * plain result without building an inner Observable for it. Both run on the
 * same generated sources and projections, in virtual time: every value,
 * error and completion must come at the same frame and in the same order,
 * and unsubscribing early must leave nothing running.
 */
import fc from 'fast-check';
import { map, mergeMap, type Observable, of, timer, mergeWith, take, throwError, concat, NEVER } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { allOf, type Eventually, thenDo, toObservable } from '../../src/core/eventually.js';
import { testScheduler } from '../support/marbles.js';

/** What `next` does with one value. */
type Step = { readonly kind: 'value' } | { readonly kind: 'throw' } | { readonly kind: 'later'; readonly delay: number; readonly count: number; readonly fails: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constantFrom<Step>({ kind: 'value' }, { kind: 'throw' }),
  fc.record({ kind: fc.constant('later' as const), delay: fc.integer({ min: 0, max: 5 }), count: fc.integer({ min: 0, max: 3 }), fails: fc.boolean() }),
);

const scenario = fc.record({
  /** Source values: the frame each comes at, and what next does with it. */
  values: fc.array(fc.record({ at: fc.integer({ min: 0, max: 8 }), step }), { maxLength: 6 }),
  /** How the source ends, after its last value. */
  end: fc.constantFrom('complete' as const, 'error' as const, 'never' as const),
  /** Unsubscribe at this frame, if given. */
  cutAt: fc.option(fc.integer({ min: 0, max: 20 })),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

function sourceOf(s: Scenario, scheduler: TestScheduler): Observable<number> {
  const last = Math.max(0, ...s.values.map((v) => v.at)) + 1;
  const values$ = of(...s.values.map((v, index) => ({ ...v, index }))).pipe(mergeMap(({ at, index }) => timer(at, scheduler).pipe(map(() => index))));
  const ending$ = s.end === 'complete' ? timer(last, scheduler).pipe(take(0)) : s.end === 'error' ? timer(last, scheduler).pipe(mergeMap(() => throwError(() => 'source failed'))) : NEVER;
  return values$.pipe(mergeWith(ending$));
}

function nextOf(s: Scenario, scheduler: TestScheduler): (index: number) => Eventually<string> {
  return (index) => {
    const what: Step = s.values[index]?.step ?? { kind: 'value' };
    if (what.kind === 'value') return `v${index}`;
    if (what.kind === 'throw') throw new Error(`next threw on ${index}`);
    const items$ = timer(what.delay, scheduler).pipe(mergeMap(() => of(...Array.from({ length: what.count }, (_, k) => `v${index}.${k}`))));
    return what.fails ? concat(items$, throwError(() => `inner ${index} failed`)) : items$;
  };
}

function record(s: Scenario, build: (source: Observable<number>, next: (index: number) => Eventually<string>) => Observable<string>): unknown[] {
  const scheduler = testScheduler();
  const seen: unknown[] = [];
  scheduler.run(() => {
    const subscription = build(sourceOf(s, scheduler), nextOf(s, scheduler)).subscribe({
      next: (value) => seen.push([scheduler.now(), 'next', value]),
      error: (error: unknown) => seen.push([scheduler.now(), 'error', String(error)]),
      complete: () => seen.push([scheduler.now(), 'complete']),
    });
    if (s.cutAt !== null) scheduler.schedule(() => subscription.unsubscribe(), s.cutAt);
  });
  return seen;
}

describe('Eventually', () => {
  it('thenDo - over an Observable, emits, errors, completes and stops exactly as mergeMap(next) does', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const fast = record(s, (source, next) => toObservable(thenDo(source, next)));
        const reference = record(s, (source, next) => source.pipe(mergeMap((index) => toObservable(next(index)))));
        expect(fast).toEqual(reference);
      }),
      { numRuns: 500 },
    );
  });

  it('thenDo - on a value known now, calls next at once and returns its result as is', () => {
    const later = of('x');
    expect(thenDo(1, (n) => n + 1)).toBe(2);
    expect(thenDo(1, () => later)).toBe(later);
  });

  it('allOf - the array itself when every value is known now; forkJoin of them otherwise', () => {
    const values = [1, 2, 3];
    expect(allOf(values)).toBe(values);
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(toObservable(allOf<string>([cold('--a|'), 'b', cold('-c|')]))).toBe('---(x|)', { x: ['a', 'b', 'c'] });
    });
  });
});
