import { Observable, Subject, Subscription, type Subscriber, takeUntil, tap } from 'rxjs';
import type { Handler, RegisteredHandler } from '../core/handler.js';
import type { RetryPolicy } from '../core/retry-policy.js';
import type { Settlement } from '../core/outcome.js';
import { processDeliveries } from '../core/process-deliveries.js';
import { ConfigError, ConnectionError, ErrorCode, messageOf } from '../errors.js';
import { redactText } from '../redact-url.js';
import type { AnyEventDefinition } from '../event/define-event.js';
import { ensureEvent, type Event, routingKeyOf } from '../event/event.js';
import { eventJson } from '../event/serializer.js';
import { wirePropertiesOf } from '../transport/wire-properties.js';
import type { Pattern } from '../routing/pattern.js';
import { Registry } from '../routing/registry.js';
import type { ConnectionState, OutboundMessage, QueueConsumer, Transport } from '../transport/transport.js';
import { BindingSet } from './binding-set.js';
import { checkHandler, compiledPattern, invalidEventError, publishFailure, retryOptionOf, safeMessageOf } from './checked-arguments.js';
import { createTransport } from './create-transport.js';
import { decodeDelivery } from './decode-delivery.js';
import { DegradedBy } from './degraded-by.js';
import { GuardedObservable, type ObserverFailure } from './guarded-observable.js';
import { redactedSummaryOf } from './redacted-summary.js';
import { type EventBusOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { RedeliveryCounter } from './redelivery-counter.js';
import { settleDelivery } from './settle-delivery.js';
import type { Delivery } from '../transport/transport.js';
import type { CatalogEvent, PublishableEvent } from '../typing/catalog-event.js';
import type { CatalogPattern, EventsMatching } from '../typing/events-matching.js';

/** Options of one handler. */
export interface HandleOptions {
  /** Retries for this handler, instead of the bus's `retry`. */
  readonly retry?: RetryPolicy;
}

/** Options of `close`. */
export interface CloseOptions {
  /**
   * How long in-flight handlers may still run. Past it they are cancelled and
   * their deliveries rejected with requeue, so the broker redelivers them:
   * nothing is lost. @default no limit (each handler is bounded by handlerTimeoutMs)
   */
  readonly timeoutMs?: number;
}

/** Counters since the bus connected. */
export interface BusStats {
  readonly published: number;
  /** Deliveries every matching handler succeeded on. */
  readonly acked: number;
  /** Deliveries no handler matched (acked). */
  readonly unhandled: number;
  /** Deliveries sent to a delay queue for another attempt. */
  readonly retried: number;
  readonly deadLettered: number;
  /**
   * Settlements the broker never got: the delivery's channel had died (the
   * broker redelivers it), or its copy to Q.dlq / a delay queue failed (it
   * was rejected to the broker, which dead-letters it). Not counted above.
   */
  readonly dropped: number;
  /** Times the delivery pipeline failed and was started again (each also logged at error level). */
  readonly pipelineRestarts: number;
}

/**
 * The event bus: publish events, route deliveries to handlers by glob, watch
 * them as Observables.
 *
 * | for one delivery                                  | the bus               |
 * |---------------------------------------------------|-----------------------|
 * | every matching handler succeeds                   | acks                  |
 * | no handler matches                                | acks (`unhandled`)    |
 * | a handler throws, rejects, errors or times out    | dead-letters to Q.dlq |
 * | the body is not an event (or key ≠ domain.action) | dead-letters to Q.dlq |
 *
 * @example
 * const bus = await EventBus.connect({ url: 'memory://demo', queue: 'order-service' });
 * bus.handle('order.*', async (event) => console.log(event.action));
 * await bus.ready();
 * await bus.publish(createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1' } }));
 * await bus.close();
 *
 * With an event catalog (`events`), `E` is the union of its event types:
 * `publish` takes only those, and `handle` and `on$` narrow to the events
 * their pattern matches (a pattern matching none does not compile).
 *
 * @example
 * const bus = await EventBus.connect({ url: 'memory://demo', queue: 'billing', events: [OrderCreated, OrderPaid, UserRegistered] });
 * bus.on$('order.*'); // Observable<Event<OrderCreatedData, 'order', 'created'> | Event<OrderPaidData, 'order', 'paid'>>
 */
export class EventBus<E extends Event<unknown> = Event> {
  private readonly handlers = new Registry<RegisteredHandler>();
  private readonly inFlight = new Set<Delivery>();
  private readonly redeliveries: RedeliveryCounter;
  private readonly streams = new Registry<Subscriber<Event>>();
  private readonly bindings: BindingSet | undefined;
  private readonly stopConsuming = new Subject<void>();
  private readonly settlements = new Subject<Settlement>();
  private readonly counts = { published: 0, acked: 0, unhandled: 0, retried: 0, deadLettered: 0, dropped: 0, pipelineRestarts: 0 };
  private failedRestarts = 0;
  /** The pause before the stopped pipeline starts again: close cancels it rather than wait it out. */
  private restartPause: { readonly timer: ReturnType<typeof setTimeout>; readonly drained: () => void } | undefined;
  private readonly pipelineTrouble = new DegradedBy();
  private pipeline: Subscription | undefined;
  private drained: Promise<void> = Promise.resolve();
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closing: Promise<void> | undefined;

  /**
   * Lifecycle, as data: `connecting`, `connected`, `disconnected`, `blocked`,
   * `degraded` (connected, but the consumer cannot be set up, e.g. the queue
   * was re-declared with other arguments, or the delivery pipeline stopped and
   * is being restarted: the `reason` says which), `closed`. An observer that
   * throws is logged, never thrown into the bus.
   */
  readonly state$: Observable<ConnectionState>;
  /**
   * Every delivery once settled, with its outcome: for metrics, logs and tests.
   * An observer that throws is logged, never thrown into the bus.
   */
  readonly settlements$: Observable<Settlement>;

  /**
   * Connects, declares the exchange and (with `queue`) the service queue and
   * `queue.dlq`, and returns a bus ready to publish.
   *
   * @throws {ConfigError} `INVALID_OPTIONS` for a bad option.
   * @throws {ConnectionError} `CONNECTION_FAILED` when no broker answers in
   *   time or the login is refused; `TOPOLOGY_FAILED` when the exchange or
   *   queue exists with other settings.
   */
  static async connect<const TEvents extends readonly AnyEventDefinition[] = []>(
    options: EventBusOptions<TEvents>,
  ): Promise<EventBus<CatalogEvent<TEvents>>> {
    const config = resolveOptions(options);
    const transport = createTransport(config);
    await transport.connect(config.exchange);
    let consumer: QueueConsumer | undefined;
    if (config.queue !== undefined) {
      consumer = transport.consumer({
        exchange: config.exchange,
        prefetch: config.prefetch,
        queue: { name: config.queue, deadLetterQueue: `${config.queue}.dlq`, ...config.queueOptions },
      });
      try {
        await consumer.ready();
      } catch (error) {
        await transport.close();
        throw error;
      }
    }
    return new EventBus<CatalogEvent<TEvents>>(config, transport, consumer);
  }

  private constructor(
    private readonly config: ResolvedOptions,
    private readonly transport: Transport,
    private readonly consumer: QueueConsumer | undefined,
  ) {
    // Guarded like settlements$ and on$: an application observer that throws is logged, never rethrown by rxjs from a timer.
    const state$ = this.pipelineTrouble.over(transport.state$);
    this.state$ = new GuardedObservable<ConnectionState>(this.observerFailed('state$'), (subscriber) => state$.subscribe(subscriber));
    this.redeliveries = new RedeliveryCounter(config.queueOptions.type === 'quorum');
    this.bindings = consumer && new BindingSet(consumer, config.queueOptions.exclusive);
    this.settlements$ = new GuardedObservable<Settlement>(this.observerFailed('settlements$'), (subscriber) => this.settlements.subscribe(subscriber));
  }

  /**
   * Runs `handler` for every event whose routing key matches `pattern`; its
   * result (with the other matching handlers') decides the ack. Unsubscribe
   * the returned Subscription to remove it.
   *
   * @throws {ConfigError} `INVALID_PATTERN`, `INVALID_ARGUMENT`, or `INVALID_OPTIONS` when the bus has no `queue`.
   * @throws {ConnectionError} `CLOSED` after `close()`.
   */
  handle<P extends string>(pattern: CatalogPattern<E, P>, handler: Handler<EventsMatching<E, P>>, options: HandleOptions = {}): Subscription {
    const compiled = this.register(pattern, 'handle');
    checkHandler(handler, compiled.source);
    const retry = retryOptionOf(options, compiled.source);
    return this.attach(compiled, this.handlers.add(compiled, { handler: handler as Handler, retry }));
  }

  /**
   * A live stream of the events matching `pattern`. Subscribing binds the
   * queue (if no handler did already); unsubscribing stops the stream and
   * nothing else: the binding stays (see {@link EventBus.unbind}). Streams
   * only watch: handlers decide acks. Completes when the bus closes. An
   * observer that throws is logged, never thrown into the bus.
   *
   * @throws {ConfigError} `INVALID_PATTERN`, or `INVALID_OPTIONS` when the bus has no `queue`.
   */
  on$<P extends string>(pattern: CatalogPattern<E, P>): Observable<EventsMatching<E, P>> {
    const compiled = this.register(pattern, 'on$');
    const stream: Observable<Event> = new GuardedObservable<Event>(this.observerFailed(`on$("${compiled.source}")`), (subscriber) => {
      if (this.state !== 'open') return subscriber.complete();
      return this.attach(compiled, this.streams.add(compiled, subscriber));
    });
    return stream as Observable<EventsMatching<E, P>>;
  }

  /**
   * Removes the bindings of `pattern` from the service queue on the broker.
   * The queue's bindings are shared by every bus consuming it (other
   * instances of the service): they all stop receiving the events only this
   * pattern bound. `handle` and `on$` never remove bindings by themselves
   * (except on an `exclusive` queue, whose bindings go with its last local user).
   *
   * @throws {ConfigError} `INVALID_ARGUMENT` (rejected) while a handler or
   *   `on$` stream of this bus still uses one of the pattern's bindings:
   *   unsubscribe them first. `INVALID_PATTERN`; `INVALID_OPTIONS` without a `queue`.
   * @throws {ConnectionError} `CLOSED` after `close()`; the broker's failure otherwise.
   */
  unbind<P extends string>(pattern: CatalogPattern<E, P>): Promise<void> {
    try {
      const compiled = this.register(pattern, 'unbind');
      return (this.bindings as BindingSet).unbind(compiled.bindingKeys, compiled.source);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Resolves once the binding and consumer of every handler and stream registered so far are active. */
  async ready(): Promise<void> {
    if (!this.consumer || !this.bindings) return;
    await this.bindings.settled();
    await this.consumer.ready();
  }

  /**
   * Publishes an event (persistent, routing key `domain.action`) and resolves
   * once the broker confirmed it. While the connection is down it waits and
   * goes out on reconnect.
   *
   * On a bus with a catalog, an event of the catalog must have its
   * definition's version and `data` passing its schema.
   *
   * @throws {ConfigError} `INVALID_EVENT` / `INVALID_DATA` for a bad event;
   *   `EventValidationError` (`INVALID_DATA`, with `issues`) when `data` fails the schema.
   * @throws {PublishError} `PUBLISH_REFUSED`, `PUBLISH_TIMEOUT`.
   * @throws {ConnectionError} `CLOSED` after `close()`.
   */
  publish<T extends PublishableEvent<E>>(event: T): Promise<void> {
    // Not async: this runs for every event, and an async function costs a Promise and a turn more.
    // Never throws: whatever the event (or the catalog's schema) does, the caller gets a rejected Promise of an RxPubsubError.
    if (this.state === 'closed') return Promise.reject(closedError('publish'));
    let checked: Event;
    let validating: Promise<void> | undefined;
    try {
      checked = ensureEvent(event);
      validating = this.config.catalog?.checkOutgoing(checked);
    } catch (error) {
      return Promise.reject(invalidEventError(error));
    }
    return validating ? validating.then(() => this.send(checked), (error: unknown) => Promise.reject(invalidEventError(error))) : this.send(checked);
  }

  private send(event: Event): Promise<void> {
    let message: OutboundMessage;
    try {
      message = {
        exchange: this.config.exchange,
        routingKey: routingKeyOf(event),
        // JSON.stringify throws past V8's longest string (RangeError), or on a BigInt that slipped past the checks.
        body: this.transport.encode?.(event) ?? eventJson(event),
        properties: wirePropertiesOf(event, this.config.connectionName),
        mandatory: this.config.mandatory,
        timeoutMs: this.config.publishTimeoutMs,
      };
    } catch (error) {
      return Promise.reject(invalidEventError(error));
    }
    try {
      return this.transport.publish(message).then(this.countPublished, (error: unknown) => Promise.reject(publishFailure(error)));
    } catch (error) {
      return Promise.reject(publishFailure(error));
    }
  }

  private readonly countPublished = (): void => {
    this.counts.published++;
  };

  /** Counters since connect. */
  stats(): BusStats {
    return { ...this.counts };
  }

  /**
   * Stops consuming, waits for in-flight handlers and their acks and for
   * outstanding confirms, then closes. Handlers may still publish meanwhile.
   * Past `timeoutMs`, unfinished deliveries go back to the queue. Streams
   * complete; later `publish` rejects with `CLOSED`. Idempotent.
   *
   * `timeoutMs` bounds the whole close, the broker's part included: past it,
   * unconfirmed publishes reject with `CLOSED` and connections are destroyed.
   * Errors met while closing (a handler's or subscriber's teardown that
   * throws, a transport that fails to close) are logged with `logger.error`
   * and do not stop it: every resource is still released, and close resolves.
   *
   * @throws {ConfigError} `INVALID_OPTIONS` for a bad `timeoutMs`.
   */
  close(options: CloseOptions = {}): Promise<void> {
    const { timeoutMs } = options;
    if (timeoutMs !== undefined && !(Number.isSafeInteger(timeoutMs) && timeoutMs >= 0)) {
      return Promise.reject(new ConfigError(ErrorCode.INVALID_OPTIONS, `close() option timeoutMs must be an integer >= 0 (got ${String(timeoutMs)})`));
    }
    this.closing ??= this.shutdown(timeoutMs);
    return this.closing;
  }

  // Every step runs whatever the steps before it met (a teardown that throws, a transport that fails to
  // close): a failure is logged and closing goes on, so that no delivery, stream or connection is left open.
  // close() then resolves: the bus is closed, and the caller has nothing left to retry.
  private async shutdown(timeoutMs: number | undefined): Promise<void> {
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const attempt = (step: string, work: () => unknown): void => {
      try {
        work();
      } catch (error) {
        this.config.logger.error({ step, reason: redactText(messageOf(error)) }, 'close(): a step failed; closing goes on');
      }
    };
    this.state = 'closing';
    attempt('stop consuming', () => this.stopConsuming.next());
    attempt('cancel the pipeline restart', () => this.cancelRestart());
    if (deadline === undefined) await this.drained;
    else if (!(await settledWithin(this.drained, deadline - Date.now()))) this.abandonInFlight(attempt);
    this.state = 'closed';
    for (const stream of this.streamSubscribers()) attempt('complete an on$ stream', () => stream.complete());
    completeAll(this.settlements, (work) => attempt('complete settlements$', work));
    try {
      // The transport gets what is left of the deadline: past it, it destroys its connections.
      await this.transport.close(deadline === undefined ? undefined : Math.max(0, deadline - Date.now()));
    } catch (error) {
      this.config.logger.error({ step: 'close the transport', reason: redactText(messageOf(error)) }, 'close(): a step failed');
    }
    attempt('complete state$', () => this.pipelineTrouble.complete());
  }

  private register(pattern: string, method: string): Pattern {
    const compiled = compiledPattern(pattern, method);
    if (this.state !== 'open') throw closedError(method);
    if (!this.consumer) {
      throw new ConfigError(ErrorCode.INVALID_OPTIONS, `${method}("${compiled.source}") needs a queue: pass queue: 'my-service' to EventBus.connect`);
    }
    return compiled;
  }

  /**
   * Binds the pattern's keys, starts consuming on first use, and returns the
   * teardown, which stops local dispatch only: the queue's bindings may serve
   * other buses sharing it (BindingSet unbinds only an exclusive queue's).
   */
  private attach(pattern: Pattern, removeRoute: () => void): Subscription {
    this.bindings?.add(pattern.bindingKeys);
    this.startConsuming();
    return new Subscription(() => {
      removeRoute();
      if (this.state === 'open') this.bindings?.release(pattern.bindingKeys);
    });
  }

  // Past close's deadline: cancel the handlers and hand their deliveries back to the broker.
  private abandonInFlight(attempt: (step: string, work: () => unknown) => void): void {
    const deliveries = [...this.inFlight];
    // Unsubscribing runs every handler's teardown, and throws (once all ran) if one threw: requeue anyway.
    attempt('cancel the handlers', () => this.pipeline?.unsubscribe());
    for (const delivery of deliveries) attempt('requeue a delivery', () => delivery.nack(true));
    if (deliveries.length > 0) {
      this.config.logger.warn({ count: deliveries.length }, 'close() deadline passed: unfinished deliveries requeued');
    }
  }

  // Lazily, so a backlog waiting in the queue meets the handlers registered right after connect.
  private startConsuming(): void {
    const consumer = this.consumer;
    if (this.pipeline || !consumer || this.config.queue === undefined) return;
    const settle = settleDelivery({
      transport: this.transport,
      consumer,
      deadLetterQueue: `${this.config.queue}.dlq`,
      publishTimeoutMs: this.config.publishTimeoutMs,
      logger: this.config.logger,
    });
    const deliveries$ = consumer.deliveries$.pipe(takeUntil(this.stopConsuming));
    const settled$ = processDeliveries(deliveries$, {
      queue: this.config.queue,
      decode: (delivery) => {
        const event = decodeDelivery(delivery);
        return this.config.catalog ? this.config.catalog.checkIncoming(event) : event;
      },
      route: (key) => (this.knows(key) ? this.handlers.match(key) : NO_ROUTES),
      retry: this.config.retry,
      maxRedeliveries: this.config.maxRedeliveries,
      redeliveries: (delivery) => this.redeliveries.count(delivery),
      observe: (event) => this.observe(event),
      settle,
      concurrency: this.config.prefetch,
      inFlight: this.inFlight,
      handlerTimeoutMs: this.config.handlerTimeoutMs,
      ...(this.config.scheduler ? { scheduler: this.config.scheduler } : {}),
    }).pipe(
      tap((settlement) => this.settled(settlement)),
    );
    this.drained = new Promise((resolve) => this.runPipeline(settled$, resolve));
  }

  /**
   * Subscribes the pipeline. It is built never to error or complete while the
   * bus is open; if it does anyway (a bug, or a transport's deliveries$
   * ending), the consumer would be silently gone: it is started again, after
   * a growing pause, and logged at error level and counted (`pipelineRestarts`).
   */
  private runPipeline(settled$: Observable<Settlement>, drained: () => void): void {
    const ended = (error?: unknown): void => {
      if (this.state !== 'open') return drained();
      this.counts.pipelineRestarts++;
      const delayMs = Math.min(100 * 2 ** this.failedRestarts++, 5_000);
      this.requeueInFlight();
      // Redacted here too: state$ is not a log line, which the guarded logger redacts.
      const reason = error === undefined ? 'its deliveries completed' : redactText(safeMessageOf(error));
      this.config.logger.error({ queue: this.config.queue, reason, delayMs }, 'the delivery pipeline stopped while the bus is open; starting it again');
      this.pipelineTrouble.report(`PIPELINE_STOPPED: ${reason}; restarting in ${delayMs} ms`);
      const timer = setTimeout(() => {
        this.restartPause = undefined;
        if (this.state === 'open') this.runPipeline(settled$, drained);
        else drained();
      }, delayMs);
      this.restartPause = { timer, drained };
    };
    this.pipelineTrouble.clear();
    this.pipeline = settled$.subscribe({
      next: (settlement) => {
        this.failedRestarts = 0;
        this.settlements.next(settlement);
      },
      complete: () => ended(),
      error: ended,
    });
  }

  // A stopped pipeline waiting to start again has nothing in flight (requeued when it stopped): it is drained now.
  private cancelRestart(): void {
    const pause = this.restartPause;
    if (pause === undefined) return;
    this.restartPause = undefined;
    clearTimeout(pause.timer);
    pause.drained();
  }

  // The stopped pipeline's unfinished deliveries go back to the queue: nobody would settle them.
  private requeueInFlight(): void {
    const deliveries = [...this.inFlight];
    this.inFlight.clear();
    for (const delivery of deliveries) delivery.nack(true);
  }

  // Each stream is the application's: one whose observer misbehaves must not keep the event from the others.
  private observe(event: Event): void {
    const key = routingKeyOf(event);
    if (!this.knows(key)) return;
    for (const route of this.streams.match(key)) {
      try {
        route.target.next(event);
      } catch (error) {
        this.observerFailed(`on$("${route.pattern.source}")`)(error, 'next');
      }
    }
  }

  private observerFailed(what: string): ObserverFailure {
    return (error, callback) => {
      this.config.logger.error({ reason: safeMessageOf(error), callback }, `an observer of ${what} threw; the bus goes on`);
    };
  }

  // A catalog bus promises its handlers and streams the catalog's events, and keeps that promise at run time:
  // another event type matching a pattern is settled `unhandled` (acked, counted), not handed over untyped.
  private knows(routingKey: string): boolean {
    return this.config.catalog === undefined || this.config.catalog.definitionOf(routingKey) !== undefined;
  }

  /** Once per settled delivery: the counters count what reached the broker. */
  private settled({ outcome, delivery, sent }: Settlement): void {
    this.redeliveries.forget(delivery);
    if (!sent) this.counts.dropped++;
    else if (outcome.kind === 'ack') this.counts.acked++;
    else if (outcome.kind === 'unhandled') this.counts.unhandled++;
    else if (outcome.kind === 'retry') this.counts.retried++;
    else this.counts.deadLettered++;
    if (outcome.kind === 'dead-letter' || outcome.kind === 'retry') {
      const { attempt, reason } = outcome;
      this.config.logger.warn({ routingKey: delivery.routingKey, attempt, reason }, outcome.kind === 'retry' ? 'retrying' : 'dead-lettered');
    }
  }

  /** What `console.log(bus)` and `util.inspect` show: a summary with no credentials. */
  [Symbol.for('nodejs.util.inspect.custom')](): object {
    return this.toJSON();
  }

  /** What `JSON.stringify(bus)` writes: a summary with no credentials. */
  toJSON(): object {
    return redactedSummaryOf(this.config, this.state, this.consumer !== undefined);
  }

  private streamSubscribers(): Subscriber<Event>[] {
    return this.streams.routes().map((route) => route.target);
  }
}

/**
 * Completes every subscriber of `subject`, each in `attempt`. Subject.complete()
 * stops at the first subscriber whose teardown throws, leaving the others open.
 */
function completeAll<T>(subject: Subject<T>, attempt: (work: () => unknown) => void): void {
  attempt(() => subject.complete());
  // `observers` is deprecated, and the only way to reach the subscribers a throw skipped.
  for (const observer of subject.observers.splice(0)) attempt(() => observer.complete());
}

/** Whether `promise` settled within `ms`. */
function settledWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

const NO_ROUTES: readonly never[] = [];

function closedError(method: string): ConnectionError {
  return new ConnectionError(ErrorCode.CLOSED, `${method}() on a closed bus: connect a new bus with EventBus.connect()`);
}
