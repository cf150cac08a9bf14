import { catchError, concatMap, defer, EMPTY, endWith, forkJoin, ignoreElements, map, mergeMap, type Observable, of, type SchedulerLike } from 'rxjs';
import { messageOf } from '../errors.js';
import type { Event } from '../event/event.js';
import type { Route } from '../routing/registry.js';
import type { Delivery } from '../transport/transport.js';
import type { Handler } from './handler.js';
import type { HandlerFailure, Outcome, Settlement } from './outcome.js';
import { runHandler } from './run-handler.js';

/** What the pipeline needs; all I/O is behind `settle`, so marble tests run it in virtual time. */
export interface PipelineConfig {
  /** Delivery → event; throws when the body is not an event. */
  readonly decode: (delivery: Delivery) => Event;
  /** The handlers matching a routing key. */
  readonly route: (routingKey: string) => readonly Route<Handler>[];
  /** Called with every decoded event before the handlers run (the `on$` streams). */
  readonly observe: (event: Event) => void;
  /** Carries out an outcome on the broker (ack, dead-letter); must not error. */
  readonly settle: (delivery: Delivery, outcome: Outcome, event: Event | undefined) => Observable<unknown>;
  /** Deliveries processed at once; equal to the prefetch, so nothing buffers beyond it. */
  readonly concurrency: number;
  readonly handlerTimeoutMs: number;
  readonly scheduler?: SchedulerLike;
}

/** The longest reason header we write; headers travel inside `frame_max`. */
const MAX_REASON = 1_000;

/**
 * deliveries$ → decode → route → every matching handler (isolated, with a
 * timeout) → one outcome → settle. Emits each settlement once it was carried out.
 */
export function processDeliveries(deliveries$: Observable<Delivery>, config: PipelineConfig): Observable<Settlement> {
  return deliveries$.pipe(
    mergeMap(
      (delivery) =>
        decideOutcome(delivery, config).pipe(
          concatMap(({ event, outcome }) =>
            config.settle(delivery, outcome, event).pipe(
              ignoreElements(),
              // settle must not error; if it does, the settlement is still reported and the stream goes on.
              catchError(() => EMPTY),
              endWith({ delivery, event, outcome }),
            ),
          ),
        ),
      config.concurrency,
    ),
  );
}

function decideOutcome(delivery: Delivery, config: PipelineConfig): Observable<{ event: Event | undefined; outcome: Outcome }> {
  return defer(() => {
    let event: Event;
    try {
      event = config.decode(delivery);
    } catch (error) {
      return of({ event: undefined, outcome: deadLetter([{ pattern: '', error }]) });
    }
    try {
      config.observe(event);
    } catch {
      // A stream's observer is the application's; its failure must not stop deliveries.
    }
    const routes = config.route(delivery.routingKey);
    if (routes.length === 0) return of({ event, outcome: { kind: 'unhandled' } as const });
    return forkJoin(routes.map((r) => runHandler(r.target, r.pattern.source, event, config.handlerTimeoutMs, config.scheduler))).pipe(
      map((results) => {
        const failures = results.filter((f): f is HandlerFailure => f !== null);
        return { event, outcome: failures.length === 0 ? ({ kind: 'ack', handlers: routes.length } as const) : deadLetter(failures) };
      }),
    );
  });
}

function deadLetter(failures: readonly HandlerFailure[]): Outcome {
  const reason = failures.map((f) => (f.pattern ? `${f.pattern}: ${messageOf(f.error)}` : messageOf(f.error))).join('; ');
  return { kind: 'dead-letter', reason: reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason, failures };
}
