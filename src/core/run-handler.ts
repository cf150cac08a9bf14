import {
  catchError,
  defer,
  endWith,
  from,
  ignoreElements,
  map,
  Observable,
  type ObservableInput,
  of,
  type SchedulerLike,
  throwError,
  timeout,
} from 'rxjs';
import { DeliveryError, ErrorCode, isError, messageOf, show } from '../errors.js';
import type { Event } from '../event/event.js';
import type { Handler, HandlerResult } from './handler.js';
import type { HandlerFailure } from './outcome.js';
import { type Eventually, toObservable } from './eventually.js';
import { quietTeardown } from './quiet-subscriber.js';

/** Emits exactly once: `null` when the handler succeeded, its failure otherwise. */
export function runHandler(
  handler: Handler,
  pattern: string,
  event: Event,
  timeoutMs: number,
  scheduler?: SchedulerLike,
): Observable<HandlerFailure | null> {
  return defer(() => toObservable(startHandler(handler, pattern, event, timeoutMs, scheduler)));
}

/**
 * Calls the handler now. A handler that returned nothing (or threw) is done:
 * its outcome comes back as a value, with no Observable, timer or Promise on
 * the hot path. One that returned a Promise or an Observable comes back as
 * the Observable of its outcome, bounded by `timeoutMs`.
 */
export function startHandler(
  handler: Handler,
  pattern: string,
  event: Event,
  timeoutMs: number,
  scheduler?: SchedulerLike,
): Eventually<HandlerFailure | null> {
  let result: HandlerResult;
  try {
    result = typeof handler === 'function' ? handler(event) : handler.handle(event);
  } catch (error) {
    return failureOf(pattern, error);
  }
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a JavaScript handler can return anything: non-objects are plain values
  if (result === undefined || result === null || typeof result !== 'object') return null;
  try {
    if (isPromiseOnly(result)) return watchPromise(result, pattern, timeoutMs, scheduler);
    return isObservableInput(result) ? watch(from(result), pattern, timeoutMs, scheduler) : null;
  } catch (error) {
    // The result's own getters threw (`then`, `subscribe`, a revoked Proxy): the handler failed, the stream goes on.
    return failureOf(pattern, error);
  }
}

/**
 * `watch` for a Promise, the common async handler, as one Observable with one
 * timer: the operator chain `watch` builds costs a dozen objects and an rxjs
 * timer per handler run. Same contract: emits once, the failure as a value.
 */
function watchPromise(
  promise: PromiseLike<unknown>,
  pattern: string,
  timeoutMs: number,
  scheduler?: SchedulerLike,
): Observable<HandlerFailure | null> {
  return new Observable<HandlerFailure | null>((subscriber) => {
    const finish = (outcome: HandlerFailure | null): void => {
      if (subscriber.closed) return;
      cancel();
      subscriber.next(outcome);
      subscriber.complete();
    };
    const cancel = startTimer(() => finish(timeoutFailure(pattern, timeoutMs)), timeoutMs, scheduler);
    try {
      promise.then(
        () => finish(null),
        (error: unknown) => finish(failureOf(pattern, error)),
      );
    } catch (error) {
      finish(failureOf(pattern, error)); // a hand-made thenable whose then() throws: the handler's failure, not the stream's
    }
    return cancel;
  });
}

/** Calls `fire` after `ms` on the scheduler (virtual time in tests), or on a plain timer; returns the cancel. */
function startTimer(fire: () => void, ms: number, scheduler?: SchedulerLike): () => void {
  if (scheduler) {
    const action = scheduler.schedule(fire, ms);
    return () => action.unsubscribe();
  }
  const timer = setTimeout(fire, ms);
  return () => clearTimeout(timer);
}

function timeoutFailure(pattern: string, timeoutMs: number): HandlerFailure {
  return failureOf(pattern, new DeliveryError(ErrorCode.HANDLER_TIMEOUT, `handler for "${pattern}" timed out after ${timeoutMs} ms`));
}

function watch(
  result$: Observable<unknown>,
  pattern: string,
  timeoutMs: number,
  scheduler?: SchedulerLike,
): Observable<HandlerFailure | null> {
  return quietTeardown(result$).pipe(
    // Completion is what counts, so the timeout bounds the whole run, not the first value.
    ignoreElements(),
    endWith(null),
    timeout({
      first: timeoutMs,
      ...(scheduler ? { scheduler } : {}),
      with: () => throwError(() => timeoutFailure(pattern, timeoutMs).error),
    }),
    map(() => null),
    catchError((error: unknown) => of(failureOf(pattern, error))),
  );
}

function failureOf(pattern: string, error: unknown): HandlerFailure {
  return { pattern, error: isReadableError(error) ? error : notAnError(pattern, error) };
}

/**
 * An Error whose `message`, `name` and `stack` read as strings: the settling,
 * the reason headers and the logs read them later, outside any handler's
 * isolation. Anything else (a throwing getter, a revoked Proxy) is wrapped.
 */
function isReadableError(value: unknown): value is Error {
  if (!isError(value)) return false;
  try {
    const { message, name, stack } = value;
    return typeof message === 'string' && typeof name === 'string' && (stack === undefined || typeof stack === 'string');
  } catch {
    return false;
  }
}

// `throw 'oops'` or `throwError(() => 42)`: keep the value, but give the failure a message and a code.
function notAnError(pattern: string, value: unknown): DeliveryError {
  const what = isError(value) ? messageOf(value) : show(value);
  return new DeliveryError(ErrorCode.HANDLER_FAILED, `handler for "${pattern}" failed with ${what}`, { cause: value });
}

// A thenable that is not also an Observable (from() would prefer the Observable side).
function isPromiseOnly(value: object): value is PromiseLike<unknown> {
  const candidate = value as Record<PropertyKey, unknown>;
  return typeof candidate.then === 'function' && typeof candidate.subscribe !== 'function' && !hasObservableSymbol(candidate);
}

function hasObservableSymbol(candidate: Record<PropertyKey, unknown>): boolean {
  return (
    (typeof Symbol.observable === 'symbol' && typeof candidate[Symbol.observable] === 'function') ||
    typeof candidate['@@observable'] === 'function'
  );
}

// `from` understands Promises, Observables of any rxjs copy (Symbol.observable),
// and async iterables; anything else a handler returns is treated as a plain value.
function isObservableInput(value: object): value is ObservableInput<unknown> {
  const candidate = value as Record<PropertyKey, unknown>;
  return (
    typeof candidate.then === 'function' ||
    typeof candidate.subscribe === 'function' ||
    typeof candidate[Symbol.asyncIterator] === 'function' ||
    hasObservableSymbol(candidate)
  );
}
