import {
  defer,
  EMPTY,
  expand,
  filter,
  map,
  merge,
  mergeMap,
  type Observable,
  of,
  type SchedulerLike,
  share,
  Subject,
  tap,
  timer,
} from 'rxjs';
import type { HandleOptions } from '../bus/event-bus.js';
import type { Handler, RegisteredHandler } from '../core/handler.js';
import type { Outcome, Settlement } from '../core/outcome.js';
import { type PipelineConfig, processDeliveries } from '../core/process-deliveries.js';
import { checkRetryPolicy, type RetryPolicy } from '../core/retry-policy.js';
import { ConfigError, ErrorCode } from '../errors.js';
import { createCatalog, type EventCatalog } from '../event/catalog.js';
import type { AnyEventDefinition } from '../event/define-event.js';
import type { Event } from '../event/event.js';
import { deliveryDecoder } from '../bus/decode-delivery.js';
import { compilePattern, type Pattern } from '../routing/pattern.js';
import { Registry } from '../routing/registry.js';
import { fakeDelivery, MARBLES_QUEUE, retriedDelivery } from './fake-delivery.js';
import { recordingPublisher } from './recording-publisher.js';
import { settlementLetter, type SettlementLetter } from './settlement-letter.js';

/** A handler as `bus.handle(pattern, handler, options)` takes it. */
export type HandlerEntry<E extends Event<unknown> = Event> = readonly [pattern: string, handler: Handler<E, E>, options?: HandleOptions];

/** Options of {@link routeMarbles}. */
export interface RouteMarblesOptions<
  E extends Event<unknown>,
  H extends readonly HandlerEntry<NoInfer<E>>[] = readonly HandlerEntry<NoInfer<E>>[],
> {
  /**
   * The scheduler of the marble test (`m.scheduler` with rxjs-marbles, or the
   * `TestScheduler` inside its `run()`): handler timeouts and retry delays run on it.
   */
  readonly scheduler: SchedulerLike;
  /** As `bus.handle` would register them, in this order. */
  readonly handlers: H;
  /** The events arriving at the service queue: each becomes a delivery at its frame. */
  readonly events$: Observable<E>;
  /** As the bus option, in frames (1 frame = 1 ms in run mode). @default 30000 */
  readonly handlerTimeoutMs?: number;
  /** As the bus option: retries for handlers without a policy of their own. @default none */
  readonly retry?: RetryPolicy;
  /** As the bus option: deliveries handled at once. @default 16 */
  readonly prefetch?: number;
  /** As the bus option: the event catalog that validates and upcasts arriving events. @default none */
  readonly events?: readonly AnyEventDefinition[];
}

/** What {@link routeMarbles} returns: subscribe to all of it at the same frame (as `m.expect` does). */
export interface RouteMarbles<E extends Event<unknown>, H extends readonly HandlerEntry<E>[] = readonly HandlerEntry<E>[]> {
  /** One letter per settled delivery, at the frame it settled: `a` ack, `u` unhandled, `r` retry, `d` dead-letter. */
  readonly settlements$: Observable<SettlementLetter>;
  /** The same settlements with their whole outcome (reason, failures, attempt, delay). */
  readonly outcomes$: Observable<Outcome>;
  /** Per handler, in the order given: the event it was called with, at the frame it was called. */
  readonly calls: { readonly [K in keyof H]: Observable<E> };
  /**
   * The events handlers published with `context.publish`, at the frame they
   * did, as the bus would send them (`correlationId` and `causationId`
   * filled): recorded, not routed to the handlers again. Checked as
   * `bus.publish` checks them: a bad one rejects the handler's `publish` instead.
   */
  readonly published$: Observable<Event>;
}

type Happening<E> = { readonly call: number; readonly event: E } | { readonly settled: Settlement } | { readonly published: Event };

/**
 * Runs handlers the way a bus does, in virtual time: each event of `events$`
 * becomes a delivery as the bus would publish it, goes through the bus's own
 * delivery pipeline (decode, route by glob, every matching handler isolated
 * and bounded by `handlerTimeoutMs`, one outcome) and is settled. A retried
 * delivery comes back after its delay, as from the broker's delay queue, and
 * runs the failed handlers only.
 *
 * Handlers must finish in marble time (return an Observable, or nothing): a
 * Promise settles only after the scheduler's synchronous flush.
 *
 * @example
 * // From README.md, "Testing your handlers" (compiled and run by the tests):
 * const { settlements$, calls } = routeMarbles({
 *   scheduler: m.scheduler,
 *   handlers: [['order.paid', charge]],
 *   events$: m.cold('a-b-c|', { a: small, b: large, c: signup }),
 * });
 * m.expect(settlements$).toBeObservable('a-d-u|'); // a ack, d dead-letter, u unhandled, r retry
 * m.expect(calls[0]).toBeObservable('   a-b--|', { a: small, b: large });
 *
 * @throws {ConfigError} `INVALID_PATTERN` for a bad pattern, `INVALID_OPTIONS` for a bad option.
 */
export function routeMarbles<E extends Event<unknown>, const H extends readonly HandlerEntry<NoInfer<E>>[]>(
  options: RouteMarblesOptions<E, H>,
): RouteMarbles<E, H> {
  const catalog = options.events === undefined ? undefined : createCatalog(options.events, 'routeMarbles option events');
  const settings = pipelineConfigOf(options, catalog);
  const entries = checkedEntries(options.handlers);
  const run$ = defer(() => {
    const calls = new Subject<Happening<E>>();
    const route = routesOf(entries, (call, event) => calls.next({ call, event: event as E }));
    const publish = recordingPublisher(catalog, (published) => calls.next({ published }));
    const config = { ...settings, route, publish };
    const settled$ = processDeliveries(options.events$.pipe(map(fakeDelivery)), config).pipe(
      // A retry comes back after its delay, as from Q.retry.<ms>; it may be retried again.
      expand(({ delivery, outcome }) =>
        outcome.kind !== 'retry'
          ? EMPTY
          : timer(outcome.delayMs, options.scheduler).pipe(
              mergeMap(() => processDeliveries(of(retriedDelivery(delivery, outcome)), config)),
            ),
      ),
      map((settled): Happening<E> => ({ settled })),
      tap({ complete: () => calls.complete(), error: (error: unknown) => calls.error(error) }),
    );
    return merge(calls, settled$);
  }).pipe(share());
  const outcomes$ = run$.pipe(
    filter((happening) => 'settled' in happening),
    map((happening) => happening.settled.outcome),
  );
  return {
    settlements$: outcomes$.pipe(map(settlementLetter)),
    outcomes$,
    calls: options.handlers.map((_, index) =>
      run$.pipe(
        filter((happening) => 'call' in happening && happening.call === index),
        map((happening) => (happening as { readonly event: E }).event),
      ),
    ) as { readonly [K in keyof H]: Observable<E> },
    published$: run$.pipe(
      filter((happening) => 'published' in happening),
      map((happening) => happening.published),
    ),
  };
}

function pipelineConfigOf<E extends Event<unknown>>(
  options: RouteMarblesOptions<E, readonly HandlerEntry<E>[]>,
  catalog: EventCatalog | undefined,
): Omit<PipelineConfig, 'route'> {
  const { scheduler, handlerTimeoutMs = 30_000, prefetch = 16 } = options;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- validates what a JavaScript caller passed
  if (typeof scheduler?.schedule !== 'function') invalid('scheduler', 'must be the TestScheduler of the marble test');
  if (!Number.isSafeInteger(handlerTimeoutMs) || handlerTimeoutMs < 1)
    invalid('handlerTimeoutMs', 'must be a whole number of frames, 1 or more');
  if (!Number.isSafeInteger(prefetch) || prefetch < 1) invalid('prefetch', 'must be a whole number, 1 or more');
  return {
    queue: MARBLES_QUEUE,
    decode: deliveryDecoder(catalog),
    observe: () => undefined,
    settle: () => EMPTY,
    concurrency: prefetch,
    handlerTimeoutMs,
    retry: options.retry === undefined ? undefined : checkRetryPolicy(options.retry, 'routeMarbles option retry'),
    scheduler,
  };
}

interface CheckedEntry {
  readonly pattern: Pattern;
  readonly handler: Handler;
  readonly retry: RetryPolicy | undefined;
}

/** Patterns compiled and retry policies checked once, where they are given. */
function checkedEntries<E extends Event<unknown>>(handlers: readonly HandlerEntry<E>[]): readonly CheckedEntry[] {
  if (!Array.isArray(handlers)) invalid('handlers', "must be an array of [pattern, handler, options?], e.g. [['order.*', handler]]");
  return handlers.map(([pattern, handler, options = {}]: HandlerEntry<E>) => {
    const compiled = compilePattern(pattern);
    if (typeof handler !== 'function' && typeof (handler as { handle?: unknown } | null)?.handle !== 'function') {
      invalid('handlers', `"${pattern}": the handler must be a function or an object with a handle(event) method`);
    }
    const retry =
      options.retry === undefined ? undefined : checkRetryPolicy(options.retry, `routeMarbles handler "${pattern}" option retry`);
    return { pattern: compiled, handler: handler as Handler, retry };
  });
}

/** The handlers in a registry, each wrapped to report its calls. */
function routesOf(entries: readonly CheckedEntry[], called: (index: number, event: Event) => void): PipelineConfig['route'] {
  const registry = new Registry<RegisteredHandler>();
  entries.forEach(({ pattern, handler, retry }, index) => {
    const recorded: Handler = (event, context) => {
      called(index, event);
      return typeof handler === 'function' ? handler(event, context) : handler.handle(event, context);
    };
    registry.add(pattern, { handler: recorded, retry });
  });
  return (routingKey) => registry.match(routingKey);
}

function invalid(option: string, problem: string): never {
  throw new ConfigError(ErrorCode.INVALID_OPTIONS, `routeMarbles option ${option} ${problem}`);
}
