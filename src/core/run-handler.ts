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
  tap,
  throwError,
  timeout,
} from 'rxjs';
import { ConnectionError, DeliveryError, ErrorCode, isError, messageOf, show } from '../errors.js';
import type { Event } from '../event/event.js';
import type { Handler, HandlerResult } from './handler.js';
import { clockOf, HandlerRun } from './handler-run.js';
import type { HandlerFailure } from './outcome.js';
import { type Eventually, toObservable } from './eventually.js';
import { quietTeardown } from './quiet-subscriber.js';

/**
 * Emits exactly once: `null` when the handler succeeded, its failure otherwise.
 * `run` is the handler's context; without one, it gets a context of attempt 1
 * with no headers, whose `publish` rejects.
 */
export function runHandler(
  handler: Handler,
  pattern: string,
  event: Event,
  timeoutMs: number,
  scheduler?: SchedulerLike,
  run?: HandlerRun,
): Observable<HandlerFailure | null> {
  return defer(() =>
    toObservable(startHandler(handler, run ?? new HandlerRun(pattern, event, 1, undefined, undefined), timeoutMs, scheduler)),
  );
}

/**
 * Calls the handler now, with its event and `run` as its context. A handler
 * that returned nothing (or threw) is done: its outcome comes back as a value,
 * with no Observable, timer or Promise on the hot path. One that returned a
 * Promise or an Observable comes back as the Observable of its outcome,
 * bounded by `timeoutMs`: past it, the run's signal is aborted with the
 * timeout's error; unsubscribed before it finished (close() past its
 * deadline), with a `CLOSED` one. `run` records how long the handler took,
 * from `startedAt` (the clock read now, or the end of the handler called just
 * before: one read of the clock per handler, not two).
 */
export function startHandler(
  handler: Handler,
  run: HandlerRun,
  timeoutMs: number,
  scheduler?: SchedulerLike,
  startedAt = clockOf(scheduler),
): Eventually<HandlerFailure | null> {
  const { pattern } = run;
  let result: HandlerResult;
  try {
    result = typeof handler === 'function' ? handler(run.event, run) : handler.handle(run.event, run);
  } catch (error) {
    run.finished(startedAt, true, scheduler);
    return failureOf(pattern, error);
  }
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a JavaScript handler can return anything: non-objects are plain values
  if (result === undefined || result === null || typeof result !== 'object') {
    run.finished(startedAt, false, scheduler);
    return null;
  }
  try {
    if (isPromiseOnly(result)) return watchPromise(result, run, startedAt, timeoutMs, scheduler);
    if (isObservableInput(result)) return watch(from(result), run, startedAt, timeoutMs, scheduler);
    run.finished(startedAt, false, scheduler);
    return null;
  } catch (error) {
    // The result's own getters threw (`then`, `subscribe`, a revoked Proxy): the handler failed, the stream goes on.
    run.finished(startedAt, true, scheduler);
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
  run: HandlerRun,
  startedAt: number,
  timeoutMs: number,
  scheduler?: SchedulerLike,
): Observable<HandlerFailure | null> {
  return new Observable<HandlerFailure | null>((subscriber) => {
    let done = false;
    const finish = (outcome: HandlerFailure | null): void => {
      if (subscriber.closed) return;
      done = true;
      cancel();
      run.finished(startedAt, outcome !== null, scheduler);
      subscriber.next(outcome);
      subscriber.complete();
    };
    const cancel = startTimer(() => finish(timedOut(run, timeoutMs)), timeoutMs, scheduler);
    try {
      promise.then(
        () => finish(null),
        (error: unknown) => finish(failureOf(run.pattern, error)),
      );
    } catch (error) {
      finish(failureOf(run.pattern, error)); // a hand-made thenable whose then() throws: the handler's failure, not the stream's
    }
    return () => {
      cancel();
      if (!done) cancelled(run);
    };
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

/** The timeout's failure; the handler's signal is aborted with its error, so the work it still does can stop. */
function timedOut(run: HandlerRun, timeoutMs: number): HandlerFailure {
  const error = new DeliveryError(ErrorCode.HANDLER_TIMEOUT, `handler for "${run.pattern}" timed out after ${timeoutMs} ms`);
  run.abort(error);
  return failureOf(run.pattern, error);
}

/** Unsubscribed before it finished: the bus gave up on the delivery (close() past its deadline), which goes back to the queue. */
function cancelled(run: HandlerRun): void {
  run.abort(
    new ConnectionError(
      ErrorCode.CLOSED,
      `handler for "${run.pattern}" cancelled: the bus stopped waiting for it (close() deadline), and its delivery goes back to the queue`,
    ),
  );
}

function watch(
  result$: Observable<unknown>,
  run: HandlerRun,
  startedAt: number,
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
      with: () => throwError(() => timedOut(run, timeoutMs).error),
    }),
    map(() => null),
    catchError((error: unknown) => of(failureOf(run.pattern, error))),
    tap({ next: (failure) => run.finished(startedAt, failure !== null, scheduler), unsubscribe: () => cancelled(run) }),
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
