import type { Attributes, Counter, Histogram, Meter, ObservableCallback, ObservableGauge } from '@opentelemetry/api';
import type { Transport } from '../transport/transport.js';
import { Attr, type AttributeMap, brokerAttributes, type BrokerIdentity } from './messaging-attributes.js';
import type { TelemetryGuard } from './telemetry-guard.js';

/** The metric names: semantic-convention names where one exists, `rx_pubsub.*` for ours. */
export const MetricName = {
  OPERATION_DURATION: 'messaging.client.operation.duration',
  SENT: 'messaging.client.sent.messages',
  CONSUMED: 'messaging.client.consumed.messages',
  PROCESS_DURATION: 'messaging.process.duration',
  HANDLER_DURATION: 'rx_pubsub.handler.duration',
  ACTIVE_DELIVERIES: 'rx_pubsub.deliveries.active',
  PUBLISH_BUFFERED: 'rx_pubsub.publish.buffered',
  PUBLISH_UNCONFIRMED: 'rx_pubsub.publish.unconfirmed',
  RETRIES: 'rx_pubsub.retries',
  DEAD_LETTERS: 'rx_pubsub.dead_letters',
  RECONNECTS: 'rx_pubsub.reconnects',
} as const;

// The conventions' advice for durations in seconds, with finer buckets below 5 ms: a memory:// delivery takes microseconds.
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

interface Instruments {
  readonly operationDuration: Histogram;
  readonly sent: Counter;
  readonly consumed: Counter;
  readonly processDuration: Histogram;
  readonly handlerDuration: Histogram;
  readonly retries: Counter;
  readonly deadLetters: Counter;
  readonly reconnects: Counter;
  readonly active: ObservableGauge;
  readonly buffered: ObservableGauge;
  readonly unconfirmed: ObservableGauge;
}

/** What `Transport.publisherStatus` returns. */
type PublisherStatus = ReturnType<NonNullable<Transport['publisherStatus']>>;

/** Per meter: every bus of a process shares the instruments, and adds its own gauge callbacks. */
const byMeter = new WeakMap<Meter, Instruments>();

function instrumentsOf(meter: Meter): Instruments {
  let instruments = byMeter.get(meter);
  if (instruments !== undefined) return instruments;
  const duration = (name: string, description: string): Histogram =>
    meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
  instruments = {
    operationDuration: duration(MetricName.OPERATION_DURATION, 'Publish to broker confirm'),
    sent: meter.createCounter(MetricName.SENT, { description: 'Messages the bus attempted to publish', unit: '{message}' }),
    consumed: meter.createCounter(MetricName.CONSUMED, { description: 'Deliveries settled, by outcome', unit: '{message}' }),
    processDuration: duration(MetricName.PROCESS_DURATION, 'One delivery, from its arrival to its settlement'),
    handlerDuration: duration(MetricName.HANDLER_DURATION, 'One handler run, by pattern'),
    retries: meter.createCounter(MetricName.RETRIES, { description: 'Deliveries copied to a delay queue to retry', unit: '{message}' }),
    deadLetters: meter.createCounter(MetricName.DEAD_LETTERS, {
      description: 'Deliveries copied to the dead-letter queue',
      unit: '{message}',
    }),
    reconnects: meter.createCounter(MetricName.RECONNECTS, { description: 'Connections regained after a loss', unit: '{reconnect}' }),
    active: meter.createObservableGauge(MetricName.ACTIVE_DELIVERIES, { description: 'Deliveries being processed', unit: '{message}' }),
    buffered: meter.createObservableGauge(MetricName.PUBLISH_BUFFERED, {
      description: 'Publishes waiting for the connection',
      unit: '{message}',
    }),
    unconfirmed: meter.createObservableGauge(MetricName.PUBLISH_UNCONFIRMED, {
      description: 'Publishes sent, not confirmed yet',
      unit: '{message}',
    }),
  };
  byMeter.set(meter, instruments);
  return instruments;
}

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

/** Attribute sets kept per combination, so recording allocates nothing; bounded, in case error types run wild. */
const MAX_CACHED = 256;

/** One bus's metrics: the shared instruments, its attributes, and its gauges' callbacks. */
export class BusMetrics {
  private readonly instruments: Instruments;
  private readonly cache = new Map<string, Attributes>();
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
    const attributes = this.attributes(`p\0${exchange}\0${errorType ?? ''}`, () => ({
      ...this.broker,
      [Attr.OPERATION_NAME]: 'publish',
      [Attr.OPERATION_TYPE]: 'send',
      [Attr.DESTINATION]: exchange,
      ...(errorType === undefined ? {} : { [Attr.ERROR_TYPE]: errorType }),
    }));
    this.instruments.operationDuration.record(seconds, attributes);
    this.instruments.sent.add(1, attributes);
  }

  deliveryStarted(): void {
    this.activeDeliveries++;
  }

  /** A delivery settled (or was abandoned: `outcome` says which), `seconds` after it arrived. */
  processed(exchange: string, outcome: string, seconds: number, errorType: string | undefined): void {
    this.activeDeliveries--;
    const attributes = this.attributes(`d\0${exchange}\0${outcome}\0${errorType ?? ''}`, () => ({
      ...this.broker,
      [Attr.OPERATION_NAME]: 'process',
      [Attr.OPERATION_TYPE]: 'process',
      [Attr.DESTINATION]: exchange,
      ...(this.parts.queue === undefined ? {} : { [Attr.CONSUMER_GROUP]: this.parts.queue }),
      [Attr.OUTCOME]: outcome,
      ...(errorType === undefined ? {} : { [Attr.ERROR_TYPE]: errorType }),
    }));
    this.instruments.consumed.add(1, attributes);
    this.instruments.processDuration.record(seconds, attributes);
  }

  /** Copies made for a settled delivery: to a delay queue (`retries`), to Q.dlq (`deadLetters`). */
  copied(retries: number, deadLetters: number): void {
    const attributes = this.attributes('c', () => ({
      ...this.broker,
      ...(this.parts.queue === undefined ? {} : { [Attr.CONSUMER_GROUP]: this.parts.queue }),
    }));
    if (retries > 0) this.instruments.retries.add(retries, attributes);
    if (deadLetters > 0) this.instruments.deadLetters.add(deadLetters, attributes);
  }

  handled(pattern: string, seconds: number, errorType: string | undefined): void {
    const attributes = this.attributes(`h\0${pattern}\0${errorType ?? ''}`, () => ({
      ...(this.parts.queue === undefined ? {} : { [Attr.CONSUMER_GROUP]: this.parts.queue }),
      [Attr.PATTERN]: pattern,
      ...(errorType === undefined ? {} : { [Attr.ERROR_TYPE]: errorType }),
    }));
    this.instruments.handlerDuration.record(seconds, attributes);
  }

  reconnected(): void {
    this.instruments.reconnects.add(
      1,
      this.attributes('r', () => ({ ...this.broker, [Attr.CONNECTION_NAME]: this.parts.connectionName })),
    );
  }

  /** The bus closed: its gauges stop reporting. */
  close(): void {
    for (const [gauge, callback] of this.gauges) this.parts.guard.attempt(() => gauge.removeCallback(callback), undefined);
  }

  private attributes(key: string, build: () => Attributes): Attributes {
    let attributes = this.cache.get(key);
    if (attributes === undefined) {
      attributes = Object.freeze(build());
      if (this.cache.size < MAX_CACHED) this.cache.set(key, attributes);
    }
    return attributes;
  }
}
