import { catchError, type Observable, of, reduce, type SchedulerLike } from 'rxjs';
import { DeliveryError, ErrorCode, messageOf } from '../errors.js';
import { type Event, routingKeyOf } from '../event/event.js';
import type { Route } from '../routing/registry.js';
import type { Delivery } from '../transport/transport.js';
import type { RegisteredHandler } from './handler.js';
import { redactText } from '../redact-url.js';
import { boundedMerge } from './bounded-merge.js';
import { handlerIdOf, retryStateOf } from './headers.js';
import { clockOf, HandlerRun, type Publisher } from './handler-run.js';
import type { Failed, HandlerFailure, HandlerTiming, Outcome, Settlement } from './outcome.js';
import { type RetryPolicy, retryDelayMs } from './retry-policy.js';
import { startHandler } from './run-handler.js';
import { allOf, type Eventually, isLater, thenDo, thenMap } from './eventually.js';
import type { DeliveryTelemetry, PipelineTelemetry } from '../telemetry/telemetry-hooks.js';

/** What the pipeline needs; all I/O is behind `settle`, so marble tests run it in virtual time. */
export interface PipelineConfig {
  /**
   * The service queue's name. Retry headers (attempts, handlers still to run)
   * are believed only on a delivery that came back from this queue's own delay
   * queues (see `cameFromDelayQueue`); on any other they are ignored.
   */
  readonly queue: string;
  /** The user the bus's retry copies carry (AMQP user-id); retry headers need it too where the transport has users. */
  readonly loginUser?: string | undefined;
  /** Delivery → event; throws when the body is not an event. Handlers are chosen by the event's own `domain.action`. */
  readonly decode: (delivery: Delivery) => Event;
  /** The handlers matching a routing key. */
  readonly route: (routingKey: string) => readonly Route<RegisteredHandler>[];
  /** Called with every decoded event before the handlers run (the `on$` streams); not again for its retries. */
  readonly observe: (event: Event) => void;
  /**
   * Carries out an outcome on the broker (ack, retry, dead-letter); must not
   * error. Returns what it did at once (an ack): `false` when the broker
   * action could not be sent, anything else when it was; or the Observable of
   * the work, which completes when it is done, its last value `false` if the
   * action could not be sent. Becomes the settlement's `sent`.
   */
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- settle may return nothing (a void function); `undefined` would refuse those
  readonly settle: (delivery: Delivery, outcome: Outcome, event: Event | undefined) => Observable<unknown> | boolean | void;
  /** Deliveries processed at once; equal to the prefetch, so nothing buffers beyond it. */
  readonly concurrency: number;
  /** A handler still running after this has failed (`DeliveryError` `HANDLER_TIMEOUT`); in the scheduler's time units with a `scheduler`. */
  readonly handlerTimeoutMs: number;
  /** The bus's retry policy, for handlers without one of their own. */
  readonly retry?: RetryPolicy | undefined;
  /** Earlier deliveries of this message (the broker's `x-delivery-count`, or an in-process count). */
  readonly redeliveries?: (delivery: Delivery) => number;
  /** More redeliveries than this dead-letter the message as poison, without running handlers. */
  readonly maxRedeliveries?: number | undefined;
  /** Runs the handler timeouts on this scheduler (a `TestScheduler` for marble tests). @default the event loop */
  readonly scheduler?: SchedulerLike;
  /** Kept holding the deliveries not settled yet, beyond the one being processed: what to requeue when the result is unsubscribed. */
  readonly inFlight?: Set<Delivery>;
  /** Traces and metrics: a span per delivery and per handler (handlers run inside theirs). Optional: core does no I/O. */
  readonly telemetry?: PipelineTelemetry | undefined;
  /** What a handler's `context.publish` calls (the bus's publish); without it, that rejects. */
  readonly publish?: Publisher | undefined;
}

/** The longest reason header we write; headers travel inside `frame_max`. */
const MAX_REASON = 1_000;

/**
 * deliveries$ → decode → route → every matching handler (isolated, with a
 * timeout) → one outcome → settle. Emits each settlement once it was carried out.
 *
 * Each step returns an `Eventually` (a value now, or an Observable of it): a delivery whose handlers all
 * finished synchronously, then acked, is settled at once and holds no slot of
 * the bounded merge; the others wait on rxjs `forkJoin` of their handlers.
 */
export function processDeliveries(deliveries$: Observable<Delivery>, config: PipelineConfig): Observable<Settlement> {
  return deliveries$.pipe(
    boundedMerge(
      (delivery) => {
        const telemetry = config.telemetry?.delivery(delivery);
        const decided = decideOutcome(delivery, config, telemetry);
        // Decide and settle in one step after the join: one operator less per delivery than a join, a map, then the settling.
        const settled = !('results' in decided)
          ? settlementOf(delivery, decided, config)
          : thenDo(decided.results, (results) => settlementOf(delivery, decided.decide(results), config));
        return telemetry === undefined ? settled : telemetry.settled(settled);
      },
      config.concurrency,
      config.inFlight,
    ),
  );
}

interface Decision {
  readonly event: Event | undefined;
  readonly outcome: Outcome;
  readonly handlers: readonly HandlerTiming[];
}

const NONE_RAN: readonly HandlerTiming[] = Object.freeze([]);

/**
 * Decodes, routes and starts the handlers: the decision when they all
 * finished at once (synchronous handlers), else the join of their results.
 */
function decideOutcome(delivery: Delivery, config: PipelineConfig, telemetry: DeliveryTelemetry | undefined): Decision | Joined {
  const retryState = retryStateOf(delivery, config.queue, config.loginUser);
  const attempt = retryState.attempts + 1;
  telemetry?.attempt(attempt);
  try {
    return decideFor(delivery, attempt, retryState.pending, config, telemetry);
  } catch (error) {
    // decode throws for a bad message; anything else is a bug, and still must not stop the stream.
    return { event: undefined, outcome: deadLetter(attempt, [{ pattern: '', error }]), handlers: NONE_RAN };
  }
}

/** Handlers still running: their results to come (rxjs `forkJoin`), and the decision once they are all there. */
interface Joined {
  readonly results: Eventually<(HandlerFailure | null)[]>;
  readonly decide: (results: readonly (HandlerFailure | null)[]) => Decision;
}

function decideFor(
  delivery: Delivery,
  attempt: number,
  pending: ReadonlySet<string> | undefined,
  config: PipelineConfig,
  telemetry: DeliveryTelemetry | undefined,
): Decision | Joined {
  const event = config.decode(delivery);
  const redeliveries = config.redeliveries?.(delivery) ?? 0;
  if (config.maxRedeliveries !== undefined && redeliveries > config.maxRedeliveries) {
    const error = new DeliveryError(
      ErrorCode.POISON_MESSAGE,
      `poison message: delivered ${redeliveries + 1} times without being settled (maxRedeliveries ${config.maxRedeliveries})`,
    );
    return { event, outcome: deadLetter(attempt, [{ pattern: '', error }]), handlers: NONE_RAN };
  }
  if (pending === undefined) observe(event, config);
  const matched = withIds(config.route(routingKeyOf(event)));
  const routes = pending === undefined ? matched : matched.filter((r) => pending.has(r.id));
  if (routes.length === 0) return { event, outcome: { kind: 'unhandled' }, handlers: NONE_RAN };
  // Every handler starts now, in registration order, each with a context of its own; the join waits for those still running.
  const runs: HandlerRun[] = [];
  const started: Eventually<HandlerFailure | null>[] = [];
  const { scheduler } = config;
  let startedAt = clockOf(scheduler);
  for (const { id, route } of routes) {
    const before = runs.at(-1);
    // The handler before ended where this one starts: a synchronous one's end is read once, not twice.
    if (before !== undefined) startedAt = before.timing === undefined ? clockOf(scheduler) : startedAt + before.timing.durationMs;
    const run = new HandlerRun(route.pattern.source, event, attempt, delivery, config.publish);
    runs.push(run);
    const at = startedAt;
    // No closure per handler run when telemetry is off: the common case stays on the hot path's direct call.
    started.push(
      telemetry === undefined
        ? startHandler(route.target.handler, run, config.handlerTimeoutMs, scheduler, at)
        : telemetry.runHandler(run.pattern, id, () => startHandler(route.target.handler, run, config.handlerTimeoutMs, scheduler, at)),
    );
  }
  const results = allOf(started);
  if (!isLater(results)) return decisionOf(event, attempt, routes, runs, results, config);
  return { results, decide: (done) => decisionOf(event, attempt, routes, runs, done, config) };
}

/** The decision once every handler finished: at once for synchronous handlers (no closure made), else after the join. */
function decisionOf(
  event: Event,
  attempt: number,
  routes: readonly IdentifiedRoute[],
  runs: readonly HandlerRun[],
  results: readonly (HandlerFailure | null)[],
  config: PipelineConfig,
): Decision {
  // The runs' timings as plain values, every run finished by now: a settlement keeps no handler's context alive.
  const handlers = runs.map((run, index) => run.timing ?? { pattern: run.pattern, durationMs: 0, failed: results[index] !== null });
  return { event, outcome: safeOutcomeOf(attempt, routes, results, config), handlers };
}

/**
 * Carries out the decision: the settlement at once when `settle` did its work
 * at once (an ack), else once its work ended. settle must not error; if it
 * does (throws, or its Observable errors), the settlement is still reported,
 * as not sent, and the stream goes on.
 */
function settlementOf(delivery: Delivery, { event, outcome, handlers }: Decision, config: PipelineConfig): Eventually<Settlement> {
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- holds what settle() returned, typed as settle is
  let work: Observable<unknown> | boolean | void;
  try {
    work = config.settle(delivery, outcome, event);
  } catch {
    work = false;
  }
  if (!isLater(work)) return { delivery, event, outcome, handlers, sent: work !== false };
  const sent$ = work.pipe(
    reduce((_, value) => value !== false, true),
    catchError(() => of(false)),
  );
  return thenMap(sent$, (sent) => ({ delivery, event, outcome, handlers, sent }));
}

interface IdentifiedRoute {
  readonly id: string;
  readonly route: Route<RegisteredHandler>;
}

/** Per list of routes: the registry hands out the same cached list for a routing key until it changes. */
const identified = new WeakMap<readonly Route<RegisteredHandler>[], readonly IdentifiedRoute[]>();

// Ids name handlers across processes (a retry may reach another instance of the
// service), so they come from the pattern and the registration order, not from memory.
function withIds(routes: readonly Route<RegisteredHandler>[]): readonly IdentifiedRoute[] {
  let ids = identified.get(routes);
  if (ids === undefined) {
    const seen = new Map<string, number>();
    ids = routes.map((route) => {
      const occurrence = (seen.get(route.pattern.source) ?? 0) + 1;
      seen.set(route.pattern.source, occurrence);
      return { id: handlerIdOf(route.pattern.source, occurrence), route };
    });
    identified.set(routes, ids);
  }
  return ids;
}

// Retry policies and failures are the application's values: whatever they do, the delivery gets an outcome.
function safeOutcomeOf(
  attempt: number,
  routes: readonly IdentifiedRoute[],
  results: readonly (HandlerFailure | null)[],
  config: PipelineConfig,
): Outcome {
  try {
    return outcomeOf(attempt, routes, results, config);
  } catch (error) {
    const failures = results.filter((failure) => failure !== null);
    return deadLetter(attempt, failures.length > 0 ? failures : [{ pattern: '', error }]);
  }
}

function outcomeOf(
  attempt: number,
  routes: readonly IdentifiedRoute[],
  results: readonly (HandlerFailure | null)[],
  config: PipelineConfig,
): Outcome {
  if (results.every(isSuccess)) return { kind: 'ack', handlers: routes.length }; // the common case: no arrays to fill
  const retrying: HandlerFailure[] = [];
  const pending: string[] = [];
  const exhausted: HandlerFailure[] = [];
  let delayMs = 0;
  results.forEach((failure, index) => {
    const identified = routes[index];
    if (failure === null || identified === undefined) return;
    const policy = identified.route.target.retry ?? config.retry;
    if (policy === undefined || attempt >= policy.attempts) return void exhausted.push(failure);
    retrying.push(failure);
    pending.push(identified.id);
    delayMs = Math.max(delayMs, retryDelayMs(policy, attempt));
  });
  if (retrying.length === 0 && exhausted.length === 0) return { kind: 'ack', handlers: routes.length };
  if (retrying.length === 0) return deadLetter(attempt, exhausted);
  const deadLetterPart = exhausted.length > 0 ? failed(attempt, exhausted) : undefined;
  return { kind: 'retry', delayMs, pending, deadLetter: deadLetterPart, ...failed(attempt, retrying) };
}

const isSuccess = (result: HandlerFailure | null): boolean => result === null;

function observe(event: Event, config: PipelineConfig): void {
  try {
    config.observe(event);
  } catch {
    // A stream's observer is the application's; its failure must not stop deliveries.
  }
}

function deadLetter(attempt: number, failures: readonly HandlerFailure[]): Outcome {
  return { kind: 'dead-letter', ...failed(attempt, failures) };
}

function failed(attempt: number, failures: readonly HandlerFailure[]): Failed {
  const full = failures.map((f) => (f.pattern ? `${f.pattern}: ${reasonOf(f.error)}` : reasonOf(f.error))).join('; ');
  // A handler's error may quote a connection string (a database's, a broker's): its password never leaves in a
  // header or a log. Redacted before the cut, which could leave half a URL unrecognised, but on a bounded prefix.
  const reason = redactText(full.length > MAX_REASON * 3 ? full.slice(0, MAX_REASON * 3) : full);
  return { attempt, reason: reason.length > MAX_REASON ? `${cutAt(reason, MAX_REASON - 1)}…` : reason, failures };
}

// Never between the two halves of a surrogate pair: a lone half is sent as U+FFFD.
function cutAt(text: string, end: number): string {
  const code = text.charCodeAt(end - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? end - 1 : end);
}

// A handler's error is the application's object: its `message` getter may throw, or return a non-string.
function reasonOf(error: unknown): string {
  try {
    const message: unknown = messageOf(error);
    return typeof message === 'string' ? message : 'an error whose message is not a string';
  } catch {
    return 'an error whose message cannot be read';
  }
}
