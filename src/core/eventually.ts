import { forkJoin, isObservable, map, Observable, of } from 'rxjs';

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
  return isLater(value) ? flatThen(value, next) : next(value);
}

/**
 * `mergeMap(next)` over `source`, for a `next` that mostly answers at once:
 * a plain result is emitted as is, without the inner Observable mergeMap
 * would build for it (an `of` and two subscribers per delivery); only an
 * Observable result is subscribed. Errors (from `source`, `next` or an inner
 * Observable), completion (once `source` and every inner completed) and
 * unsubscription behave as mergeMap's; tested against it on generated inputs.
 */
function flatThen<T, R>(source: Observable<T>, next: (value: T) => Eventually<R>): Observable<R> {
  return new Observable<R>((subscriber) => {
    let active = 1; // the source itself
    const done = (): void => {
      if (--active === 0) subscriber.complete();
    };
    subscriber.add(
      source.subscribe({
        next: (known) => {
          let result: Eventually<R>;
          try {
            result = next(known);
          } catch (error) {
            return subscriber.error(error);
          }
          if (!isLater(result)) return subscriber.next(result);
          active++;
          subscriber.add(
            // eslint-disable-next-line rxjs-x/no-nested-subscribe -- this is the operator itself: the inner subscription is owned by `subscriber` and counted in `active`
            result.subscribe({ next: (item) => subscriber.next(item), error: (error: unknown) => subscriber.error(error), complete: done }),
          );
        },
        error: (error: unknown) => subscriber.error(error),
        complete: done,
      }),
    );
  });
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
