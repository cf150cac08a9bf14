import {
  catchError, defer, EMPTY, endWith, from, ignoreElements, map, type Observable, of, type SchedulerLike, throwError, timeout,
} from 'rxjs';
import { DeliveryError, ErrorCode, show } from '../errors.js';
import type { Event } from '../event/event.js';
import type { Handler, HandlerResult } from './handler.js';
import type { HandlerFailure } from './outcome.js';

/** Emits exactly once: `null` when the handler succeeded, its failure otherwise. */
export function runHandler(
  handler: Handler,
  pattern: string,
  event: Event,
  timeoutMs: number,
  scheduler?: SchedulerLike,
): Observable<HandlerFailure | null> {
  return defer(() => resultOf(typeof handler === 'function' ? handler(event) : handler.handle(event))).pipe(
    // Completion is what counts, so the timeout bounds the whole run, not the first value.
    ignoreElements(),
    endWith(null),
    timeout({
      first: timeoutMs,
      ...(scheduler ? { scheduler } : {}),
      with: () => throwError(() => new DeliveryError(ErrorCode.HANDLER_TIMEOUT, `handler for "${pattern}" timed out after ${timeoutMs} ms`)),
    }),
    map(() => null),
    catchError((error: unknown) => of({ pattern, error: error instanceof Error ? error : notAnError(pattern, error) })),
  );
}

// `throw 'oops'` or `throwError(() => 42)`: keep the value, but give the failure a message and a code.
function notAnError(pattern: string, value: unknown): DeliveryError {
  return new DeliveryError(ErrorCode.HANDLER_FAILED, `handler for "${pattern}" failed with ${show(value)}`, { cause: value });
}

function resultOf(result: HandlerResult): Observable<unknown> {
  if (result === undefined || result === null || typeof result !== 'object') return EMPTY;
  if (isObservableInput(result)) return from(result);
  return EMPTY;
}

// `from` understands Promises, Observables of any rxjs copy (Symbol.observable),
// and async iterables; anything else a handler returns is treated as a plain value.
function isObservableInput(value: object): value is Parameters<typeof from>[0] {
  const candidate = value as Record<PropertyKey, unknown>;
  return (
    typeof candidate.then === 'function' ||
    typeof candidate.subscribe === 'function' ||
    typeof candidate[Symbol.asyncIterator] === 'function' ||
    (typeof Symbol.observable === 'symbol' && typeof candidate[Symbol.observable] === 'function') ||
    typeof candidate['@@observable'] === 'function'
  );
}
