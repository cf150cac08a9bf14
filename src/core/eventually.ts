import { forkJoin, isObservable, map, mergeMap, type Observable, of } from 'rxjs';

/**
 * A value known now, or the Observable that gives it later (exactly once).
 *
 * The delivery pipeline answers most deliveries at once: synchronous handlers,
 * then an ack. Returning the value itself on that path builds no Observable,
 * subscription or timer per delivery; only work that really waits (a Promise,
 * an Observable, a copy to Q.dlq) pays for one. Every step of the pipeline
 * returns an `Eventually` and they are chained with the combinators below, so
 * the choice between the two is made here and nowhere else.
 */
export type Eventually<T> = T | Observable<T>;

/** Whether the value is still to come. */
export function isLater<T>(value: Eventually<T>): value is Observable<T> {
  return isObservable(value);
}

/** The value as an Observable: `of(value)` for a value known now. */
export function toObservable<T>(value: Eventually<T>): Observable<T> {
  return isLater(value) ? value : of(value);
}

/**
 * `next(value)` once the value is there: called at once for a value known now
 * (its result returned as is), else `mergeMap(next)` over the Observable.
 */
export function thenDo<T, R>(value: Eventually<T>, next: (value: T) => Eventually<R>): Eventually<R> {
  return isLater(value) ? value.pipe(mergeMap((known) => toObservable(next(known)))) : next(value);
}

/** `fn(value)` once the value is there, for an `fn` that answers at once: `map(fn)` over the Observable. */
export function thenMap<T, R>(value: Eventually<T>, fn: (value: T) => R): Eventually<R> {
  return isLater(value) ? value.pipe(map(fn)) : fn(value);
}

/**
 * All the values, in order: the array itself when every one is known now,
 * else rxjs `forkJoin` of them (each must emit once; a source completing
 * empty would complete the join without a value).
 */
export function allOf<T>(values: readonly Eventually<T>[]): Eventually<T[]> {
  return values.some(isLater) ? forkJoin(values.map(toObservable)) : (values as T[]);
}
