import { combineLatest, type Observable, of, ReplaySubject, type Subscription } from 'rxjs';
import type { ConnectionState, ConsumerStatus, PublisherStatus, QueueConsumer, Transport } from '../transport/transport.js';
import type { BusCounters, BusStats } from './bus-stats.js';
import { safeMessageOf } from './checked-arguments.js';
import { completeEach } from './complete-each.js';
import type { CloseStep, DeliveryLoop } from './delivery-loop.js';
import { GuardedObservable, type ObserverFailure } from './guarded-observable.js';
import { type BusHealth, type HealthError, healthErrorOf, healthOf, sameHealth, troubleOf } from './health.js';
import type { ResolvedOptions } from './options.js';

/** What the monitor watches: the bus's state and consumer, and the counters it samples. */
export interface HealthParts {
  readonly options: Pick<ResolvedOptions, 'healthGracePeriodMs' | 'logger'>;
  readonly transport: Transport;
  /** None on a publish-only bus. */
  readonly consumer: QueueConsumer | undefined;
  /** The bus's state$ (the pipeline's trouble laid over the connection's). */
  readonly state$: Observable<ConnectionState>;
  readonly loop: Pick<DeliveryLoop, 'inFlightCount'>;
  readonly counters: Pick<BusCounters, 'snapshot'>;
  readonly observerFailed: ObserverFailure;
}

/** How often the settled count is looked at, to date the last delivery: the precision of `lastDeliveryAt`. */
const SAMPLE_MS = 1_000;
const NO_PUBLISHER: PublisherStatus = Object.freeze({ buffered: 0, unconfirmed: 0, blocked: false });

/**
 * Keeps the bus's {@link BusHealth}: watches its state and its consumer's status, dates the trouble
 * and arms a timer for the end of the grace period, and emits on health$ what changed. Nothing runs
 * per delivery: the last delivery is dated by sampling the settled count (once a second, and on
 * each read), and the counters are read when a snapshot is taken.
 */
export class HealthMonitor {
  /** Each change, the current one replayed (also after completion); completes on close. */
  readonly health$: Observable<BusHealth>;
  private readonly emitted = new ReplaySubject<BusHealth>(1);
  private last: BusHealth | undefined;
  private connection: ConnectionState = { status: 'connecting' };
  private consumer: ConsumerStatus | undefined;
  private lastError: HealthError | undefined;
  private troubleSince: number | undefined;
  private closing = false;
  private completed = false;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly sampler: ReturnType<typeof setInterval>;
  private settledSeen = 0;
  private lastDeliveryAt: number | undefined;
  private readonly watching: Subscription;

  constructor(private readonly parts: HealthParts) {
    this.consumer = parts.consumer === undefined ? undefined : { status: 'starting' };
    this.health$ = new GuardedObservable<BusHealth>(parts.observerFailed, (subscriber) => this.emitted.subscribe(subscriber));
    this.watching = combineLatest([parts.state$, parts.consumer?.status$ ?? of(undefined)]).subscribe({
      next: ([connection, consumer]) => this.changed(connection, consumer),
      error: (error: unknown) => this.failed(error),
    });
    this.sampler = setInterval(() => this.sampleDeliveries(), SAMPLE_MS).unref();
    this.emit();
  }

  /** The health now, its counters read fresh. */
  snapshot(): BusHealth {
    this.sampleDeliveries();
    return healthOf({
      connection: this.connection,
      consumer: this.consumer,
      lastError: this.lastError,
      publisher: publisherStatusOf(this.parts.transport),
      closing: this.closing,
      troubleSince: this.troubleSince,
      now: Date.now(),
      gracePeriodMs: this.parts.options.healthGracePeriodMs,
      inFlight: this.parts.loop.inFlightCount,
      lastDeliveryAt: this.lastDeliveryAt,
    });
  }

  /**
   * `close()` began: `down` from now on. Emitted on the next microtask, once close() has returned its
   * Promise: an observer that calls close() again from there then gets that one, not a second shutdown.
   */
  closeBegan(): void {
    this.closing = true;
    queueMicrotask(() => this.emit());
  }

  /** The bus is closed: emits the last `down` and completes health$. */
  complete(attempt: CloseStep): void {
    clearInterval(this.sampler);
    clearTimeout(this.graceTimer);
    attempt('stop watching the health', () => this.watching.unsubscribe());
    this.emit();
    this.completed = true;
    completeEach(this.emitted, 'complete health$', attempt);
  }

  // A transport's consumer may report anything: a failure here is logged, never thrown into rxjs.
  private changed(connection: ConnectionState, consumer: ConsumerStatus | undefined): void {
    try {
      if (consumer?.status === 'failing' && this.consumer?.status !== 'failing') this.lastError = healthErrorOf(consumer);
      this.connection = connection;
      this.consumer = consumer;
      const trouble = troubleOf(connection, consumer);
      if (trouble === undefined) this.troubleSince = undefined;
      else this.troubleSince ??= Date.now();
      this.armGrace();
      this.emit();
    } catch (error) {
      this.failed(error);
    }
  }

  private failed(error: unknown): void {
    this.parts.options.logger.error({ reason: safeMessageOf(error) }, 'could not derive the bus health');
  }

  // At the end of the grace period the status turns `down` with no other change: a timer says so.
  private armGrace(): void {
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    if (this.troubleSince === undefined || this.completed) return;
    const remainingMs = this.troubleSince + this.parts.options.healthGracePeriodMs - Date.now();
    if (remainingMs <= 0) return;
    this.graceTimer = setTimeout(() => {
      this.armGrace(); // a timer may fire a little early: then once more
      this.emit();
    }, remainingMs).unref();
  }

  private emit(): void {
    if (this.completed) return;
    const health = this.snapshot();
    if (this.last !== undefined && sameHealth(this.last, health)) return;
    this.last = health;
    this.emitted.next(health);
  }

  private sampleDeliveries(): void {
    const settled = settledCount(this.parts.counters.snapshot());
    if (settled === this.settledSeen) return;
    this.settledSeen = settled;
    this.lastDeliveryAt = Date.now();
  }
}

function settledCount(stats: BusStats): number {
  return stats.acked + stats.unhandled + stats.retried + stats.deadLettered + stats.dropped;
}

// A transport of the application's may have no such method, or a hostile one: then nothing is known, zeros.
function publisherStatusOf(transport: Transport): PublisherStatus {
  try {
    const status = transport.publisherStatus?.();
    if (status === undefined) return NO_PUBLISHER;
    return { buffered: countOf(status.buffered), unconfirmed: countOf(status.unconfirmed), blocked: (status.blocked as unknown) === true };
  } catch {
    return NO_PUBLISHER;
  }
}

function countOf(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0;
}
