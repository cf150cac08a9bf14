import { type Observable, Subject, type Subscription, tap } from 'rxjs';
import type { Publisher } from '../core/handler-run.js';
import type { Settlement } from '../core/outcome.js';
import { processDeliveries } from '../core/process-deliveries.js';
import { publishedRoutingKeyOf } from '../core/headers.js';
import { messageOf } from '../errors.js';
import type { Logger } from '../logger.js';
import { redactText } from '../redact-url.js';
import type { ConnectionState, Delivery, QueueConsumer, Transport } from '../transport/transport.js';
import type { BusCounters } from './bus-stats.js';
import type { CloseDeadline } from './close-deadline.js';
import { safeMessageOf } from './checked-arguments.js';
import { completeEach } from './complete-each.js';
import { boundedText } from './copy-headers.js';
import { deliveryDecoder } from './decode-delivery.js';
import { DegradedBy } from './degraded-by.js';
import { GuardedObservable, type ObserverFailure } from './guarded-observable.js';
import type { ResolvedOptions } from './options.js';
import { RedeliveryCounter } from './redelivery-counter.js';
import type { Routes } from './routes.js';
import { settleDelivery } from './settle-delivery.js';
import { untilStopped } from './until-stopped.js';
import type { PipelineTelemetry } from '../telemetry/telemetry-hooks.js';

/** Runs one step of closing: a failure is logged and closing goes on. */
export type CloseStep = (step: string, work: () => unknown) => void;

/** A {@link CloseStep} logging a failure at error level, redacted (a teardown's error may quote a URL). */
export function loggedCloseStep(logger: Logger): CloseStep {
  return (step, work) => {
    try {
      work();
    } catch (error) {
      logger.error({ step, reason: redactText(messageOf(error)) }, 'close(): a step failed; closing goes on');
    }
  };
}

/** What the loop needs from the bus: its options, its consumer, where deliveries go and what is counted. */
export interface DeliveryLoopParts {
  readonly options: ResolvedOptions;
  readonly transport: Transport;
  /** None on a publish-only bus: the loop never starts, and settlements$ only completes on close. */
  readonly consumer: QueueConsumer | undefined;
  readonly routes: Pick<Routes, 'match' | 'observe'>;
  readonly counters: BusCounters;
  readonly observerFailed: (what: string) => ObserverFailure;
  /** Traces and metrics of each delivery; none when telemetry is off. */
  readonly telemetry?: PipelineTelemetry | undefined;
  /** The bus's publish, for the handlers' `context.publish`. */
  readonly publish: Publisher;
}

/**
 * The consumer's deliveries, each to its ack: decoded, routed, handled and
 * settled by core's {@link processDeliveries}, then counted and reported on
 * `settlements$`. Started on first use; keeps running until {@link stop},
 * started again if it ever ends before.
 */
export class DeliveryLoop {
  /** Every delivery once settled; an observer that throws is logged, never thrown into the bus. */
  readonly settlements$: Observable<Settlement>;
  /** Deliveries not settled yet that hold a slot: what to requeue if the pipeline stops. */
  private readonly inFlight = new Set<Delivery>();
  private readonly redeliveries: RedeliveryCounter;
  /** A stopped pipeline, laid over the connection's state: degraded with PIPELINE_STOPPED until it runs again. */
  private readonly trouble = new DegradedBy();
  private readonly stopConsuming = new Subject<void>();
  private readonly settlements = new Subject<Settlement>();
  private pipeline: Subscription | undefined;
  private drained: Promise<void> = Promise.resolve();
  private failedRestarts = 0;
  /** The pause before a stopped pipeline starts again: stop() cancels it rather than wait it out. */
  private restartPause: { readonly timer: ReturnType<typeof setTimeout>; readonly drained: () => void } | undefined;
  private stopping = false;

  constructor(private readonly parts: DeliveryLoopParts) {
    this.redeliveries = new RedeliveryCounter(parts.options.queueOptions.type === 'quorum');
    this.settlements$ = new GuardedObservable<Settlement>(parts.observerFailed('settlements$'), (subscriber) =>
      this.settlements.subscribe(subscriber),
    );
  }

  /**
   * `connection$` with the pipeline's own trouble laid over it: the bus's state$. Guarded like
   * settlements$: an application observer that throws is logged, never rethrown by rxjs from a timer.
   */
  stateOver(connection$: Observable<ConnectionState>): Observable<ConnectionState> {
    const state$ = this.trouble.over(connection$);
    return new GuardedObservable<ConnectionState>(this.parts.observerFailed('state$'), (subscriber) => state$.subscribe(subscriber));
  }

  /** Completes the state$ made by {@link stateOver} (once the connection's completed too). */
  completeState(): void {
    this.trouble.complete();
  }

  /** Starts consuming, once. Lazily, so a backlog waiting in the queue meets the handlers registered right after connect. */
  start(): void {
    const { options, transport, consumer, routes, counters } = this.parts;
    if (this.pipeline || !consumer || options.queue === undefined) return;
    const loginUser = loginUserOf(transport);
    const settle = settleDelivery({
      transport,
      consumer,
      deadLetterQueue: `${options.queue}.dlq`,
      publishTimeoutMs: options.publishTimeoutMs,
      logger: options.logger,
      loginUser,
    });
    const deliveries$ = untilStopped(consumer.deliveries$, this.stopConsuming, options.queueOptions.singleActiveConsumer);
    const settled$ = processDeliveries(deliveries$, {
      queue: options.queue,
      loginUser,
      decode: deliveryDecoder(options.catalog),
      redeliveries: (delivery) => this.redeliveries.count(delivery),
      maxRedeliveries: options.maxRedeliveries,
      observe: routes.observe,
      route: routes.match,
      retry: options.retry,
      handlerTimeoutMs: options.handlerTimeoutMs,
      settle,
      concurrency: options.prefetch,
      inFlight: this.inFlight,
      telemetry: this.parts.telemetry,
      publish: this.parts.publish,
      ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    }).pipe(
      tap((settlement) => {
        this.redeliveries.forget(settlement.delivery);
        counters.settled(settlement);
        this.log(settlement);
      }),
    );
    this.drained = new Promise((resolve) => this.run(settled$, resolve));
  }

  private log({ outcome, delivery }: Settlement): void {
    if (outcome.kind !== 'dead-letter' && outcome.kind !== 'retry') return;
    const { attempt, reason } = outcome;
    // A retried copy comes back through the default exchange, keyed by the queue's name: log the key it was published with.
    this.parts.options.logger.warn(
      { routingKey: boundedText(publishedRoutingKeyOf(delivery), 255), attempt, reason },
      outcome.kind === 'retry' ? 'retrying' : 'dead-lettered',
    );
  }

  /**
   * Subscribes the pipeline. It is built never to error or complete while the
   * bus is open; if it does anyway (a bug, or a transport's deliveries$
   * ending), the consumer would be silently gone: it is started again, after
   * a growing pause, and logged at error level and counted (`pipelineRestarts`).
   */
  private run(settled$: Observable<Settlement>, drained: () => void): void {
    const { options, counters } = this.parts;
    const trouble = this.trouble;
    const ended = (error?: unknown): void => {
      if (this.stopping) return drained();
      counters.pipelineRestarted();
      const delayMs = Math.min(100 * 2 ** this.failedRestarts++, 5_000);
      this.requeueInFlight();
      const reason = error === undefined ? 'its deliveries completed' : safeMessageOf(error);
      options.logger.error(
        { queue: options.queue, reason, delayMs },
        'the delivery pipeline stopped while the bus is open; starting it again',
      );
      // Redacted like the log line: the error may quote a connection string.
      trouble.report(`PIPELINE_STOPPED: ${redactText(reason)}; restarting in ${delayMs} ms`);
      const timer = setTimeout(() => {
        this.restartPause = undefined;
        if (this.stopping) drained();
        else this.run(settled$, drained);
      }, delayMs);
      this.restartPause = { timer, drained };
    };
    trouble.clear();
    this.pipeline = settled$.subscribe({
      next: (settlement) => {
        this.failedRestarts = 0;
        this.settlements.next(settlement);
      },
      complete: () => ended(),
      error: ended,
    });
  }

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

  /**
   * Stops consuming and waits for in-flight deliveries to be settled; past
   * the close's deadline (which a later close() may bring closer), cancels
   * their handlers and requeues them.
   */
  async stop(deadline: CloseDeadline, attempt: CloseStep): Promise<void> {
    this.stopping = true;
    attempt('stop consuming', () => this.stopConsuming.next());
    attempt('cancel the pipeline restart', () => this.cancelRestart());
    if (!(await deadline.beats(this.drained))) this.abandonInFlight(attempt);
  }

  // Past close's deadline: cancel the handlers and hand their deliveries back to the broker.
  private abandonInFlight(attempt: CloseStep): void {
    const deliveries = [...this.inFlight];
    // Unsubscribing runs every handler's teardown, and throws (once all ran) if one threw: requeue anyway.
    attempt('cancel the handlers', () => this.pipeline?.unsubscribe());
    for (const delivery of deliveries) attempt('requeue a delivery', () => delivery.nack(true));
    if (deliveries.length > 0)
      this.parts.options.logger.warn({ count: deliveries.length }, 'close() deadline passed: unfinished deliveries requeued');
  }

  /**
   * Completes every subscriber of settlements$, each as its own step.
   * Subject.complete() stops at the first subscriber whose teardown throws, leaving the others open.
   */
  completeSettlements(attempt: CloseStep): void {
    completeEach(this.settlements, 'complete settlements$', attempt);
  }

  /** Deliveries being handled now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }
}

// A transport of the application's may have no such field, or a hostile one: then there are no users to check.
function loginUserOf(transport: Transport): string | undefined {
  try {
    return typeof transport.loginUser === 'string' ? transport.loginUser : undefined;
  } catch {
    return undefined;
  }
}
