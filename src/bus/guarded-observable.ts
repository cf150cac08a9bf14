import type { Logger } from '../logger.js';
import { safeMessageOf } from './checked-arguments.js';
import { Observable, type Observer, type Operator, Subscriber, type Subscription, type TeardownLogic } from 'rxjs';

/** Where a subscriber's failure is reported instead of being thrown. */
export type ObserverFailure = (error: unknown, callback: 'next' | 'error' | 'complete') => void;

/** Reports an observer's failure as an error log line naming `what` it observed. */
export function loggedObserverFailure(logger: Logger): (what: string) => ObserverFailure {
  return (what) => (error, callback) =>
    logger.error({ reason: safeMessageOf(error), callback }, `an observer of ${what} threw; the bus goes on`);
}

/**
 * An Observable whose subscribers' callbacks cannot throw into the bus, and
 * the Observables piped from it likewise (operators keep the class, as
 * Subject's `lift` does).
 *
 * Why: rxjs 7 catches an observer that throws (or an error nobody handles) and
 * rethrows it from a `setTimeout` (`reportUnhandledError`): an uncaught
 * exception that ends the process, unless the application set
 * `config.onUnhandledError`, which belongs to it and not to us. The bus hands
 * events and settlements to application observers from inside its delivery
 * pipeline, so such a failure is reported to `report` (a log line) instead.
 * An operator that throws (`map(f)`) still errors its own chain, as usual.
 */
export class GuardedObservable<T> extends Observable<T> {
  constructor(
    private readonly report: ObserverFailure,
    subscribe?: (this: Observable<T>, subscriber: Subscriber<T>) => TeardownLogic,
  ) {
    super(subscribe);
  }

  // eslint-disable-next-line @typescript-eslint/no-deprecated -- Observable.lift's own signature, which a subclass must override to keep its type through pipe()
  override lift<R>(operator?: Operator<T, R>): Observable<R> {
    const observable = new GuardedObservable<R>(this.report);
    // The same two fields Observable.lift sets: rxjs's documented way for a subclass to keep its type through pipe().
    /* eslint-disable @typescript-eslint/no-deprecated */
    observable.source = this;
    observable.operator = operator;
    /* eslint-enable @typescript-eslint/no-deprecated */
    return observable;
  }

  override subscribe(
    observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null,
    ...rest: (((value: never) => void) | null | undefined)[]
  ): Subscription {
    // Subscribers are the operators' own (and firstValueFrom's): only the application's callbacks are wrapped.
    if (observerOrNext instanceof Subscriber) return super.subscribe(observerOrNext as Subscriber<T>);
    return super.subscribe(guardedObserver(observerOrOf(observerOrNext, rest), this.report));
  }
}

function observerOrOf<T>(
  observerOrNext: Partial<Observer<T>> | ((value: T) => void) | null | undefined,
  rest: readonly unknown[],
): Partial<Observer<T>> {
  if (typeof observerOrNext === 'function' || rest.length > 0) {
    const [error, complete] = rest as [((e: unknown) => void) | undefined, (() => void) | undefined];
    return { next: observerOrNext ?? undefined, error: error ?? undefined, complete: complete ?? undefined } as Partial<Observer<T>>;
  }
  return observerOrNext ?? {};
}

function guardedObserver<T>(observer: Partial<Observer<T>>, report: ObserverFailure): Observer<T> {
  return {
    next: (value) => {
      try {
        observer.next?.(value);
      } catch (error) {
        report(error, 'next');
      }
    },
    error: (error: unknown) => {
      try {
        if (typeof observer.error === 'function') observer.error(error);
        else report(error, 'error');
      } catch (thrown) {
        report(thrown, 'error');
      }
    },
    complete: () => {
      try {
        observer.complete?.();
      } catch (error) {
        report(error, 'complete');
      }
    },
  };
}
