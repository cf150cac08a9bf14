/**
 * boundedMerge: mergeMap with a concurrency limit whose project may answer at
 * once with a plain value. Drawn against rxjs's own mergeMap where they must agree.
 */
import { mergeMap, NEVER, type Observable, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { boundedMerge } from '../../src/core/bounded-merge.js';
import { testScheduler } from '../support/marbles.js';

describe('boundedMerge', () => {
  it('boundedMerge - plain values are emitted at once and hold no slot: only Observable results count against `concurrency`', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // a, c and d are slow (5 frames), b answers at once. With 2 slots, a and c run together and d waits for a.
      const result = cold('abcd|').pipe(boundedMerge((v): string | Observable<string> => (v === 'b' ? 'B' : cold(`-----(${v}|)`)), 2));
      expectObservable(result).toBe('-B---a-c--(d|)');
    });
  });

  it('boundedMerge - Observable results are limited to `concurrency` at once; the rest wait in order, exactly as with mergeMap', () => {
    for (const operator of [boundedMerge, mergeMap]) {
      testScheduler().run(({ cold, expectObservable }) => {
        expectObservable(cold('abcd|').pipe(operator((v: string) => cold(`--(${v}|)`), 2))).toBe('--abc(d|)');
      });
    }
  });

  it('boundedMerge - completes only when the source and every inner completed; errors from the project, an inner or the source go downstream', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a|').pipe(boundedMerge(() => cold('---(x|)'), 3))).toBe('---(x|)');
      expectObservable(cold('a-b').pipe(boundedMerge((v) => (v === 'b' ? cold('#') : v), 3))).toBe('a-#');
      expectObservable(cold('a#').pipe(boundedMerge(() => NEVER, 3))).toBe('-#');
      const boom = new Error('boom');
      expectObservable(cold('ab').pipe(boundedMerge((v) => {
        if (v === 'b') throw boom;
        return v;
      }, 3))).toBe('a#', undefined, boom);
    });
  });

  it('boundedMerge - unsubscribing tears down the running inners', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const inner = cold('-----x|');
      expectObservable(cold('a').pipe(boundedMerge(() => inner, 2)), '--!').toBe('');
      expectSubscriptions(inner.subscriptions).toBe('^-!');
    });
  });

  it('boundedMerge - `unfinished` holds exactly the values waiting or running, never those answered at once', () => {
    const source = new Subject<string>();
    const inners = new Map<string, Subject<string>>();
    const unfinished = new Set<string>();
    const seen: string[] = [];
    const subscription = source
      .pipe(
        boundedMerge((v): string | Observable<string> => {
          if (v.startsWith('sync')) return v;
          const inner = new Subject<string>();
          inners.set(v, inner);
          return inner;
        }, 2, unfinished),
      )
      .subscribe((v) => seen.push(v));

    source.next('a');
    source.next('sync1');
    source.next('b');
    source.next('c'); // both slots taken: waits
    expect([...unfinished].sort()).toEqual(['a', 'b', 'c']);
    expect(seen).toEqual(['sync1']);

    inners.get('a')!.next('A');
    inners.get('a')!.complete(); // frees a slot for c
    expect([...unfinished].sort()).toEqual(['b', 'c']);
    expect(inners.has('c')).toBe(true);

    source.next('sync2');
    inners.get('b')!.complete();
    inners.get('c')!.next('C');
    inners.get('c')!.complete();
    expect(unfinished.size).toBe(0);
    expect(seen).toEqual(['sync1', 'A', 'sync2', 'C']);
    subscription.unsubscribe();
  });

  it('boundedMerge - a value that arrives while every slot is taken waits (its project is not called), and leaves `unfinished` once answered', () => {
    const source = new Subject<string>();
    const gate = new Subject<string>();
    const unfinished = new Set<string>();
    const called: string[] = [];
    const seen: string[] = [];
    source
      .pipe(
        boundedMerge((v): string | Observable<string> => {
          called.push(v);
          return v === 'slow' ? gate : v;
        }, 1, unfinished),
      )
      .subscribe((v) => seen.push(v));
    source.next('slow');
    source.next('quick');
    expect(called).toEqual(['slow']);
    expect([...unfinished]).toEqual(['slow', 'quick']);
    gate.complete();
    expect(called).toEqual(['slow', 'quick']);
    expect(seen).toEqual(['quick']);
    expect(unfinished.size).toBe(0);
  });
});
