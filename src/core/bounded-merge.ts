import { Observable, type OperatorFunction, Subscription } from 'rxjs';
import { type Eventually, isLater } from './eventually.js';

/**
 * `mergeMap(project, concurrency)` for a project that often has its answer at
 * once: a plain value is emitted right away, and only an Observable result
 * takes one of the `concurrency` slots and an inner subscription. Values that
 * arrive while every slot is taken wait, in order, as with mergeMap.
 *
 * Why not mergeMap: it subscribes to an inner Observable for every value,
 * about a dozen objects per delivery, which was the largest cost of routing a
 * delivery to synchronous handlers. Completion, errors and unsubscription
 * behave as mergeMap's do.
 *
 * `unfinished`, if given, is kept holding the values that wait or whose
 * Observable has not completed: what was left undone if the result is
 * unsubscribed. Values answered at once never enter it.
 */
export function boundedMerge<T, R>(project: (value: T) => Eventually<R>, concurrency: number, unfinished?: Set<T>): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      const waiting: T[] = [];
      const inners = new Subscription();
      let active = 0;
      let sourceDone = false;

      const completeIfDone = (): void => {
        if (sourceDone && active === 0 && waiting.length === 0) subscriber.complete();
      };

      const innerDone = (inner: Subscription, value: T): void => {
        unfinished?.delete(value);
        inners.remove(inner);
        active--;
        while (active < concurrency && waiting.length > 0 && !subscriber.closed) {
          const next = waiting.shift() as T;
          unfinished?.delete(next);
          run(next);
        }
        completeIfDone();
      };

      const run = (value: T): void => {
        let result: Eventually<R>;
        try {
          result = project(value);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        if (!isLater(result)) {
          subscriber.next(result);
          return;
        }
        active++;
        unfinished?.add(value);
        const inner = new Subscription();
        inners.add(inner);
        inner.add(
          result.subscribe({
            next: (item) => subscriber.next(item),
            error: (error: unknown) => subscriber.error(error),
            complete: () => innerDone(inner, value),
          }),
        );
      };

      subscriber.add(inners);
      subscriber.add(
        source.subscribe({
          next: (value) => {
            if (active < concurrency) return run(value);
            unfinished?.add(value);
            waiting.push(value);
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => {
            sourceDone = true;
            completeIfDone();
          },
        }),
      );
    });
}
