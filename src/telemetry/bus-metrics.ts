import type { Attributes, Meter, ObservableCallback, ObservableGauge } from '@opentelemetry/api';
import type { Transport } from '../transport/transport.js';
import { Attr, type AttributeMap, brokerAttributes, type BrokerIdentity } from './messaging-attributes.js';
import { type Instruments, instrumentsOf, type ObservedCounter } from './metric-instruments.js';
import type { TelemetryGuard } from './telemetry-guard.js';

export { MetricName } from './metric-instruments.js';

/** What `Transport.publisherStatus` returns. */
type PublisherStatus = ReturnType<NonNullable<Transport['publisherStatus']>>;

/** What the metrics of one bus need to know about it. */
export interface BusMetricsParts {
  readonly meter: Meter;
  readonly queue: string | undefined;
  readonly exchange: string;
  readonly connectionName: string;
  /** The transport's publish buffer, when it tells (`Transport.publisherStatus`). */
  readonly publisherStatus: () => PublisherStatus | undefined;
  readonly guard: TelemetryGuard;
}

/** Distinct `error.type` values a bus reports; past them, `_OTHER`: an application's error names could be endless. */
const MAX_ERROR_TYPES = 64;

/** An attribute set, and the string that names it whichever bus made it (for the counters buses share). */
interface Recorded {
  readonly key: string;
  readonly attributes: Attributes;
}

/** One bus's metrics: the meter's shared instruments, its attribute sets (made once each), and its gauges' callbacks. */
export class BusMetrics {
  private readonly instruments: Instruments;
  private readonly cache = new Map<string, Recorded>();
  private readonly errorTypes = new Set<string>();
  private broker: AttributeMap;
  private activeDeliveries = 0;
  private readonly gauges: readonly [ObservableGauge, ObservableCallback][];

  constructor(
    private readonly parts: BusMetricsParts,
    broker: BrokerIdentity,
  ) {
    this.instruments = instrumentsOf(parts.meter);
    this.broker = brokerAttributes(broker);
    const own = {
      [Attr.CONNECTION_NAME]: parts.connectionName,
      ...(parts.queue === undefined ? {} : { [Attr.CONSUMER_GROUP]: parts.queue }),
    };
    const publisher = { [Attr.CONNECTION_NAME]: parts.connectionName, [Attr.DESTINATION]: parts.exchange };
    const status =
      (read: (status: PublisherStatus) => number): ObservableCallback =>
      (result) => {
        const current = parts.guard.attempt(parts.publisherStatus, undefined);
        const value = current === undefined ? undefined : parts.guard.attempt(() => read(current), undefined);
        if (typeof value === 'number' && Number.isFinite(value)) result.observe(value, publisher);
      };
    this.gauges = [
      [this.instruments.active, (result) => result.observe(this.activeDeliveries, own)],
      [this.instruments.buffered, status((s) => s.buffered)],
      [this.instruments.unconfirmed, status((s) => s.unconfirmed)],
    ];
    for (const [gauge, callback] of this.gauges) gauge.addCallback(callback);
  }

  /** The connection moved to another broker node: attributes name the new one. */
  brokerChanged(broker: BrokerIdentity): void {
    this.broker = brokerAttributes(broker);
    this.cache.clear();
  }

  published(exchange: string, seconds: number, errorType: string | undefined): void {
    const type = this.bounded(errorType);
    const { key, attributes } = this.recorded(`p\0${exchange}\0${type}`, () => ({
      ...this.broker,
      [Attr.OPERATION_NAME]: 'publish',
      [Attr.OPERATION_TYPE]: 'send',
      [Attr.DESTINATION]: exchange,
      ...(type === '' ? {} : { [Attr.ERROR_TYPE]: type }),
    }));
    this.instruments.operationDuration.record(seconds, attributes);
    this.instruments.sent.add(key, attributes, 1);
  }

  deliveryStarted(): void {
    this.activeDeliveries++;
  }

  /** A delivery settled (or was abandoned: `outcome` says which), `seconds` after it arrived. */
  processed(exchange: string, outcome: string, seconds: number, errorType: string | undefined): void {
    this.activeDeliveries--;
    const type = this.bounded(errorType);
    const { key, attributes } = this.recorded(`d\0${exchange}\0${outcome}\0${type}`, () => ({
      ...this.broker,
      [Attr.OPERATION_NAME]: 'process',
      [Attr.OPERATION_TYPE]: 'process',
      [Attr.DESTINATION]: exchange,
      ...this.group(),
      [Attr.OUTCOME]: outcome,
      ...(type === '' ? {} : { [Attr.ERROR_TYPE]: type }),
    }));
    this.instruments.consumed.add(key, attributes, 1);
    this.instruments.processDuration.record(seconds, attributes);
  }

  /** Copies made for a settled delivery: to a delay queue (`retries`), to Q.dlq (`deadLetters`). */
  copied(retries: number, deadLetters: number): void {
    const { key, attributes } = this.recorded('c', () => ({ ...this.broker, ...this.group() }));
    if (retries > 0) this.instruments.retries.add(key, attributes, retries);
    if (deadLetters > 0) this.instruments.deadLetters.add(key, attributes, deadLetters);
  }

  handled(pattern: string, seconds: number, errorType: string | undefined): void {
    const type = this.bounded(errorType);
    const { attributes } = this.recorded(`h\0${pattern}\0${type}`, () => ({
      ...this.group(),
      [Attr.PATTERN]: pattern,
      ...(type === '' ? {} : { [Attr.ERROR_TYPE]: type }),
    }));
    this.instruments.handlerDuration.record(seconds, attributes);
  }

  reconnected(): void {
    const counter: ObservedCounter = this.instruments.reconnects;
    const { key, attributes } = this.recorded('r', () => ({ ...this.broker, [Attr.CONNECTION_NAME]: this.parts.connectionName }));
    counter.add(key, attributes, 1);
  }

  /** The bus closed: its gauges stop reporting. */
  close(): void {
    for (const [gauge, callback] of this.gauges) this.parts.guard.attempt(() => gauge.removeCallback(callback), undefined);
  }

  private group(): AttributeMap {
    return this.parts.queue === undefined ? {} : { [Attr.CONSUMER_GROUP]: this.parts.queue };
  }

  private bounded(errorType: string | undefined): string {
    if (errorType === undefined) return '';
    if (this.errorTypes.has(errorType)) return errorType;
    if (this.errorTypes.size >= MAX_ERROR_TYPES) return '_OTHER';
    this.errorTypes.add(errorType);
    return errorType;
  }

  private recorded(key: string, build: () => Attributes): Recorded {
    let recorded = this.cache.get(key);
    if (recorded === undefined) {
      const attributes = Object.freeze(build());
      recorded = { key: JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1))), attributes };
      this.cache.set(key, recorded);
    }
    return recorded;
  }
}
