import type { Observable, Subscription } from 'rxjs';
import type { Handler } from '../core/handler.js';
import type { Settlement } from '../core/outcome.js';
import type { AnyEventDefinition } from '../event/define-event.js';
import type { Event } from '../event/event.js';
import type { PublishOptions } from '../transport/publish-options.js';
import type { ConnectionState, HistoryLog, QueueConsumer, Transport } from '../transport/transport.js';
import type { CloseOptions, HandleOptions } from './bus-call-options.js';
import { BusCounters, type BusStats } from './bus-stats.js';
import { checkHandler, closeDeadlineOf, closedBusError, promiseOf, retryOptionOf } from './checked-arguments.js';
import { CloseDeadline } from './close-deadline.js';
import { closeTransport, connectTransport } from './connect-transport.js';
import { DeliveryLoop, loggedCloseStep } from './delivery-loop.js';
import { EventSender } from './event-sender.js';
import { loggedObserverFailure } from './guarded-observable.js';
import type { BusHealth } from './health.js';
import { HealthMonitor } from './health-monitor.js';
import { redactedSummaryOf } from './redacted-summary.js';
import { type EventBusOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { Routes } from './routes.js';
import { type BusTelemetry, startTelemetry } from '../telemetry/bus-telemetry.js';
import { History, openHistory, type ReplayOptions } from './replay.js';
import { publishAll } from './publish-all.js';
import type { PublishAllOptions } from './publish-all-options.js';
import type { PublishAllSource } from './publish-all-source.js';
import type { CatalogEvent, PublishableEvent } from '../typing/catalog-event.js';
import type { CatalogPattern, EventsMatching } from '../typing/events-matching.js';

export type { BusStats } from './bus-stats.js';
export type { CloseOptions, HandleOptions } from './bus-call-options.js';
export type { ReplayOptions } from './replay.js';
export type { PublishAllOptions } from './publish-all-options.js';
export type { PublishAllSource } from './publish-all-source.js';

/**
 * The event bus: publish events, route deliveries to handlers by glob, watch them as Observables.
 *
 * | for one delivery                                  | the bus               |
 * |---------------------------------------------------|-----------------------|
 * | every matching handler succeeds                   | acks                  |
 * | no handler matches                                | acks (`unhandled`)    |
 * | a handler throws, rejects, errors or times out    | dead-letters to Q.dlq |
 * | the body is not an event (or key ≠ domain.action) | dead-letters to Q.dlq |
 *
 * With an event catalog (`events`), `E` is the union of its event types: `publish` takes only those, and
 * `handle` and `on$` narrow to the events their pattern matches (a pattern matching none does not compile).
 *
 * @example
 * const bus = await EventBus.connect({ url: 'memory://demo', queue: 'order-service' });
 * bus.handle('order.*', async (event) => console.log(event.action));
 * await bus.ready();
 * await bus.publish(createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1' } }));
 * await bus.close();
 */
export class EventBus<E extends Event<unknown> = Event> {
  private readonly counters = new BusCounters();
  private readonly routes: Routes;
  private readonly loop: DeliveryLoop;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closing: Promise<void> | undefined;
  private readonly deadline = new CloseDeadline();
  private readonly sender: EventSender;
  private readonly monitor: HealthMonitor;
  private readonly history: History;

  /** Lifecycle, as data ({@link ConnectionState}); `degraded` with `PIPELINE_STOPPED` while the delivery pipeline restarts. */
  readonly state$: Observable<ConnectionState>;
  /** Every delivery once settled, with its outcome and its handlers' timings: for metrics, logs and tests. An observer that throws is logged. */
  readonly settlements$: Observable<Settlement<E>>;
  /**
   * The bus's {@link BusHealth} on every change, the current one replayed to a late subscriber. It emits when
   * `status`, `reason`, `connection`, the consumer's status or `lastError`, or `publisher.blocked` change, never per
   * delivery or publish: the counters (`inFlight`, `publisher.buffered`/`unconfirmed`, `lastDeliveryAt`) are as
   * sampled at each emission; read them fresh with {@link EventBus.health}. On `close()` it emits `down` and completes.
   * An observer that throws is logged.
   */
  readonly health$: Observable<BusHealth>;

  /**
   * Connects, declares the exchange and (with `queue`) the service queue and `queue.dlq`, and returns a bus ready to publish.
   * @throws {ConfigError} `INVALID_OPTIONS` for a bad option.
   * @throws {ConnectionError} `CONNECTION_FAILED` (no broker answers, login refused), `TOPOLOGY_FAILED` (exchange or queue exists otherwise).
   */
  static async connect<const T extends readonly AnyEventDefinition[] = []>(
    options: EventBusOptions<T>,
  ): Promise<EventBus<CatalogEvent<T>>> {
    const config = resolveOptions(options);
    const { transport, consumer } = await connectTransport(config);
    const history = await openHistory(config, transport);
    const telemetry = await startTelemetry(config, transport);
    return new EventBus<CatalogEvent<T>>(config, transport, consumer, telemetry, history);
  }

  private constructor(
    private readonly config: ResolvedOptions,
    private readonly transport: Transport,
    consumer: QueueConsumer | undefined,
    private readonly telemetry: BusTelemetry | undefined,
    history: HistoryLog | undefined,
  ) {
    const observerFailed = loggedObserverFailure(config.logger);
    this.routes = new Routes(consumer, config.queueOptions.exclusive, config.catalog, observerFailed, () => this.loop.start());
    this.sender = new EventSender(config, transport, this.counters.published, telemetry);
    const publish = (event: unknown, options?: PublishOptions): Promise<void> => this.publish(event as PublishableEvent<E>, options);
    this.loop = new DeliveryLoop({
      options: config,
      transport,
      consumer,
      routes: this.routes,
      counters: this.counters,
      observerFailed,
      telemetry,
      publish,
    });
    this.state$ = this.loop.stateOver(transport.state$);
    this.settlements$ = this.loop.settlements$ as Observable<Settlement<E>>;
    const { loop, counters, state$ } = this;
    this.monitor = new HealthMonitor({
      options: config,
      transport,
      consumer,
      state$,
      loop,
      counters,
      observerFailed: observerFailed('health$'),
    });
    this.health$ = this.monitor.health$;
    this.history = new History(history, config, observerFailed);
  }

  /**
   * Runs `handler` for every event whose routing key matches `pattern`, as `handler(event, context)` (see
   * `HandlerContext`); its result (with the other matching handlers') decides the ack (see the table above).
   * Unsubscribe the returned Subscription to remove it.
   * @throws {ConfigError} `INVALID_PATTERN`, `INVALID_ARGUMENT`, or `INVALID_OPTIONS` when the bus has no `queue`.
   * @throws {ConnectionError} `CLOSED` after `close()`.
   * @example
   * const subscription = bus.handle('order.{created,paid}', (event) => save(event), {
   *   retry: { attempts: 3, delaysMs: [1_000, 10_000] }, // then Q.dlq
   * });
   * subscription.unsubscribe(); // this handler stops; the queue's bindings stay (see unbind)
   */
  handle<P extends string>(
    pattern: CatalogPattern<E, P>,
    handler: Handler<EventsMatching<E, P>, E>,
    options: HandleOptions = {},
  ): Subscription {
    const compiled = this.routes.checkedPattern(pattern, 'handle');
    checkHandler(handler, compiled.source);
    return this.routes.addHandler(compiled, { handler: handler as Handler, retry: retryOptionOf(options, compiled.source) });
  }

  /**
   * A live stream of the events matching `pattern`: subscribing binds the queue, unsubscribing leaves the binding
   * (see {@link EventBus.unbind}). Streams only watch: handlers decide acks. Completes when the bus closes.
   * @throws {ConfigError} `INVALID_PATTERN`, or `INVALID_OPTIONS` when the bus has no `queue`.
   * @example
   * const totals$ = bus.on$('order.paid').pipe(scan((sum, event) => sum + event.data.total, 0));
   */
  on$<P extends string>(pattern: CatalogPattern<E, P>): Observable<EventsMatching<E, P>> {
    return this.routes.stream$(this.routes.checkedPattern(pattern, 'on$')) as Observable<EventsMatching<E, P>>;
  }

  /**
   * The past events matching `pattern`, from the event history (the `history` option: a stream of every event of
   * the exchange), typed and decoded like `on$`'s. Cold: each subscription reads with a consumer of its own,
   * `prefetch` events ahead; an event is acknowledged to the stream when the subscriber's `next` returns, and
   * unsubscribing stops the consumer. Completes at the end of the history (the last event it held at subscribe
   * time), or with `follow` goes on with live events. The pattern is applied on the client: the whole history
   * from `from` is read. Records that are not events are skipped and logged.
   * @throws {ConfigError} `INVALID_PATTERN`, `INVALID_ARGUMENT` for bad options, `INVALID_OPTIONS` without `history`.
   *   The Observable errors with `ConnectionError` `CLOSED` when the bus closes before it completed (or is
   *   subscribed after), and `TOPOLOGY_FAILED` when the stream is deleted or cannot be read.
   * @example
   * const lastHour = await lastValueFrom(bus.replay$('order.*', { from: new Date(Date.now() - 3_600_000) }).pipe(toArray()));
   */
  replay$<P extends string>(pattern: CatalogPattern<E, P>, options: ReplayOptions): Observable<EventsMatching<E, P>> {
    return this.history.replay$(pattern, options) as Observable<EventsMatching<E, P>>;
  }

  /**
   * Removes the bindings of `pattern` from the service queue on the broker, for every bus sharing the queue
   * (other instances of the service). `handle` and `on$` never remove bindings (but on an `exclusive` queue).
   * @throws {ConfigError} `INVALID_ARGUMENT` (rejected) while a handler or `on$` stream of this bus still uses one
   *   of the pattern's bindings: unsubscribe them first. `INVALID_PATTERN`; `INVALID_OPTIONS` without a `queue`.
   * @throws {ConnectionError} `CLOSED` after `close()`; the broker's failure otherwise.
   */
  unbind<P extends string>(pattern: CatalogPattern<E, P>): Promise<void> {
    return promiseOf(() => this.routes.unbind(this.routes.checkedPattern(pattern, 'unbind')));
  }

  /** Resolves once the binding and consumer of every handler and stream registered so far are active. */
  ready(): Promise<void> {
    return this.routes.ready();
  }

  /**
   * Publishes an event (persistent, routing key `domain.action`) and resolves once the broker confirmed it; while the
   * connection is down it waits. On a catalog bus, a catalog event needs its definition's version and valid `data`.
   * `options` sets the message's own headers, TTL, priority and `mandatory` ({@link PublishOptions}).
   * @throws {ConfigError} `INVALID_EVENT` / `INVALID_DATA` for a bad event;
   *   `EventValidationError` (`INVALID_DATA`, with `issues`) when `data` fails the schema;
   *   `INVALID_OPTIONS` for a bad option (named), `INVALID_ARGUMENT` when `options` is not an object.
   * @throws {PublishError} `PUBLISH_REFUSED`, `PUBLISH_TIMEOUT`.
   * @throws {ConnectionError} `CLOSED` after `close()`.
   */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- T keeps publish() generic over the caller's literal: without it, excess-property checks would change what compiles
  publish<T extends PublishableEvent<E>>(event: T, options?: PublishOptions): Promise<void> {
    if (this.state === 'closed') return Promise.reject(closedBusError('publish'));
    return this.sender.publish(event, options);
  }

  /**
   * Publishes a stream of events with the confirms as backpressure, and emits each event once the broker confirmed
   * it, in source order (the last one emitted: it and all before it are confirmed). Cold: each subscription reads the
   * source anew. At most `window` events are out (published, not emitted yet): an Iterable or AsyncIterable is pulled
   * only as one is emitted; an Observable is subscribed once and its values wait in a queue, and past
   * `maxPendingPublishes` queued and out the result errors with `PUBLISH_BUFFER_FULL` (pull from an AsyncIterable
   * instead when the source can be slower). Completes after the source completed and its last event was confirmed.
   *
   * Errors stop it: the first failed publish in source order (each publish as {@link EventBus.publish}: `INVALID_EVENT`,
   * `INVALID_DATA`, `PUBLISH_REFUSED`, `PUBLISH_TIMEOUT`, `CLOSED`), or the source's own error (an iterator that
   * throws, an Observable that errors), in both cases after the events before it were emitted. Reading stops at the
   * first failure; unsubscribing stops it too (an iterator is `return()`ed). Publishes already sent are not
   * cancelled: the broker still confirms or refuses them, unreported.
   * @throws {ConfigError} `INVALID_ARGUMENT` for a source of none of the three kinds or that cannot be read (an
   *   iterator that is not one errors the result likewise); `INVALID_OPTIONS` for a bad `window`.
   *   The result errors with `ConnectionError` `CLOSED` when subscribed after `close()`.
   * @example
   * const published = await lastValueFrom(bus.publishAll(orders$.pipe(map(toEvent))).pipe(count()));
   */
  publishAll<T extends PublishableEvent<E>>(source: PublishAllSource<T>, options?: PublishAllOptions): Observable<T> {
    return publishAll<T>(source, options, {
      send: (event, done) => this.sender.send(event, undefined, done),
      outcome: (error) => this.sender.outcome(error),
      closed: () => this.state === 'closed',
      maxPending: this.config.maxPendingPublishes,
      report: loggedObserverFailure(this.config.logger)('publishAll'),
    });
  }

  /**
   * Whether the bus is doing its work (`up`, `degraded`, `down`: see {@link BusHealth}), now, its counters read
   * fresh: for a readiness probe. A trouble (not connected, the consumer not active on the broker) is `degraded`
   * for `healthGracePeriodMs`, then `down`.
   */
  health(): BusHealth {
    return this.monitor.snapshot();
  }

  /** Counters since connect (see {@link BusStats}): what reached the broker, read fresh. */
  stats(): BusStats {
    return this.counters.snapshot();
  }

  /**
   * Stops consuming, waits for in-flight handlers and their acks and for outstanding confirms, then closes.
   * Handlers may still publish meanwhile. Past `timeoutMs`, unfinished deliveries go back to the queue. Streams
   * complete; later `publish` rejects with `CLOSED`. Idempotent. Errors met while closing (a teardown that throws,
   * a transport that fails to close) are logged with `logger.error`: every resource is still released, and close resolves.
   * @throws {ConfigError} `INVALID_OPTIONS` for a bad `timeoutMs`.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return promiseOf(() => {
      // A later call's deadline bounds a close already under way (a SIGTERM handler after a plain close()).
      this.deadline.tighten(closeDeadlineOf(options));
      return (this.closing ??= this.shutdown());
    });
  }

  // Each step runs whatever the ones before met (logged): nothing is left open, and close() resolves.
  private async shutdown(): Promise<void> {
    const attempt = loggedCloseStep(this.config.logger);
    this.state = 'closing';
    attempt('report the health', () => this.monitor.closeBegan());
    try {
      this.routes.close();
      await this.loop.stop(this.deadline, attempt);
      this.state = 'closed';
      for (const stream of this.routes.openStreams()) attempt('complete an on$ stream', () => stream.complete());
      this.loop.completeSettlements(attempt);
      await closeTransport(this.transport, this.deadline.remainingMs(), this.config.logger);
      attempt('stop telemetry', () => this.telemetry?.close());
      attempt('complete state$', () => this.loop.completeState());
      this.monitor.complete(attempt);
    } finally {
      this.state = 'closed';
      this.deadline.dispose();
    }
  }

  /** What `console.log(bus)`, `util.inspect` and `JSON.stringify(bus)` show: a summary with no credentials. */
  [Symbol.for('nodejs.util.inspect.custom')](): object {
    return this.toJSON();
  }

  /** What `JSON.stringify(bus)` writes: a summary with no credentials. */
  toJSON(): object {
    return redactedSummaryOf(this.config, this.state, this.config.queue !== undefined);
  }
}
