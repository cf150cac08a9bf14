import type { Attributes, Histogram, Meter, ObservableGauge } from '@opentelemetry/api';

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

/**
 * A counter kept by us and reported through an observable counter: the SDK
 * hashes a synchronous instrument's attributes on every `add` (a quarter of
 * the CPU of a memory:// delivery, measured), an observable one's once per
 * collection. Keyed by a string naming the whole attribute set, so that the
 * buses of a process sharing one set add up.
 */
export class ObservedCounter {
  private readonly totals = new Map<string, { readonly attributes: Attributes; value: number }>();

  constructor(meter: Meter, name: string, description: string, unit: string) {
    meter.createObservableCounter(name, { description, unit }).addCallback((result) => {
      for (const { attributes, value } of this.totals.values()) result.observe(value, attributes);
    });
  }

  add(key: string, attributes: Attributes, value: number): void {
    const total = this.totals.get(key);
    if (total === undefined) this.totals.set(key, { attributes, value });
    else total.value += value;
  }
}

/** A meter's instruments: made once, shared by every bus on it. */
export interface Instruments {
  readonly operationDuration: Histogram;
  readonly sent: ObservedCounter;
  readonly consumed: ObservedCounter;
  readonly processDuration: Histogram;
  readonly handlerDuration: Histogram;
  readonly retries: ObservedCounter;
  readonly deadLetters: ObservedCounter;
  readonly reconnects: ObservedCounter;
  readonly active: ObservableGauge;
  readonly buffered: ObservableGauge;
  readonly unconfirmed: ObservableGauge;
}

const byMeter = new WeakMap<Meter, Instruments>();

/** The instruments of `meter`, made on first use. */
export function instrumentsOf(meter: Meter): Instruments {
  let instruments = byMeter.get(meter);
  if (instruments !== undefined) return instruments;
  const duration = (name: string, description: string): Histogram =>
    meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
  const messages = (name: string, description: string): ObservedCounter => new ObservedCounter(meter, name, description, '{message}');
  const gauge = (name: string, description: string): ObservableGauge =>
    meter.createObservableGauge(name, { description, unit: '{message}' });
  instruments = {
    operationDuration: duration(MetricName.OPERATION_DURATION, 'Publish to broker confirm'),
    sent: messages(MetricName.SENT, 'Messages the bus attempted to publish'),
    consumed: messages(MetricName.CONSUMED, 'Deliveries settled, by outcome'),
    processDuration: duration(MetricName.PROCESS_DURATION, 'One delivery, from its arrival to its settlement'),
    handlerDuration: duration(MetricName.HANDLER_DURATION, 'One handler run, by pattern'),
    retries: messages(MetricName.RETRIES, 'Deliveries copied to a delay queue to retry'),
    deadLetters: messages(MetricName.DEAD_LETTERS, 'Deliveries copied to the dead-letter queue'),
    reconnects: new ObservedCounter(meter, MetricName.RECONNECTS, 'Connections regained after a loss', '{reconnect}'),
    active: gauge(MetricName.ACTIVE_DELIVERIES, 'Deliveries being processed'),
    buffered: gauge(MetricName.PUBLISH_BUFFERED, 'Publishes waiting for the connection'),
    unconfirmed: gauge(MetricName.PUBLISH_UNCONFIRMED, 'Publishes sent, not confirmed yet'),
  };
  byMeter.set(meter, instruments);
  return instruments;
}
