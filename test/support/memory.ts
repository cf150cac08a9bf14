/**
 * Helpers of the tests that drive a MemoryTransport directly, as a bus does:
 * fresh broker names, transports and subscriptions that are cleaned up after
 * each test, consumer specs, and ways to let the broker's dispatch run.
 */
import type { Subscription } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { afterEach } from 'vitest';
import { isRxPubsubError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import type { ConnectionState, ConsumerSpec, Delivery, QueueConsumer, QueueSpec } from '../../src/transport/transport.js';
import { testScheduler } from './marbles.js';

export const EXCHANGE = 'events';

/** What a test file gets from {@link memoryTransports}: everything it opens is closed, unsubscribed or reset after each test. */
export interface MemoryTransports {
  /** A broker name no other test uses, reset after the test. */
  brokerName(): string;
  /** A transport on `name`, not yet connected, closed after the test. */
  newTransport(name: string): MemoryTransport;
  /** A connected transport on `name`, closed after the test. */
  open(name: string): Promise<MemoryTransport>;
  /** Unsubscribes `subscription` after the test. */
  unsubscribeAfterTest(subscription: Subscription): void;
  /** Subscribes to `deliveries$` (unsubscribed after the test) and collects what arrives. */
  collect(consumer: QueueConsumer, onDelivery?: (delivery: Delivery) => void): Delivery[];
  /** The statuses `transport.state$` emits from now on (the current one first). */
  statuses(transport: MemoryTransport): ConnectionState['status'][];
}

/** Registers the after-each cleanup of one test file; broker names start with `prefix`. */
export function memoryTransports(prefix: string): MemoryTransports {
  const opened: MemoryTransport[] = [];
  const subscriptions: Subscription[] = [];
  const brokers: string[] = [];
  let counter = 0;

  afterEach(async () => {
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
    await Promise.all(opened.splice(0).map((transport) => transport.close()));
    for (const name of brokers.splice(0)) MemoryBroker.reset(name);
  });

  const newTransport = (name: string): MemoryTransport => {
    const transport = new MemoryTransport({ url: `memory://${name}`, logger: silentLogger });
    opened.push(transport);
    return transport;
  };
  const unsubscribeAfterTest = (subscription: Subscription): void => void subscriptions.push(subscription);

  return {
    brokerName: () => {
      const name = `${prefix}-${++counter}`;
      brokers.push(name);
      return name;
    },
    newTransport,
    open: async (name) => {
      const transport = newTransport(name);
      await transport.connect(EXCHANGE);
      return transport;
    },
    unsubscribeAfterTest,
    collect: (consumer, onDelivery = () => undefined) => {
      const deliveries: Delivery[] = [];
      unsubscribeAfterTest(
        consumer.deliveries$.subscribe((delivery) => {
          deliveries.push(delivery);
          onDelivery(delivery);
        }),
      );
      return deliveries;
    },
    statuses: (transport) => {
      const seen: ConnectionState['status'][] = [];
      unsubscribeAfterTest(transport.state$.subscribe((state) => seen.push(state.status)));
      return seen;
    },
  };
}

/** A consumer spec for `queue` on {@link EXCHANGE}: a durable classic queue with a `.dlq`, unless `options` say otherwise. */
export function spec(queue: string, prefetch = 16, options: Partial<QueueSpec> = {}): ConsumerSpec {
  return {
    exchange: EXCHANGE,
    prefetch,
    queue: { name: queue, deadLetterQueue: `${queue}.dlq`, type: 'classic', durable: true, exclusive: false, autoDelete: false, arguments: {}, ...options },
  };
}

/** A consumer on `queue` bound with `keys`, ready. */
export async function boundConsumer(
  transport: MemoryTransport,
  queue: string,
  keys: readonly string[],
  prefetch = 16,
  options: Partial<QueueSpec> = {},
): Promise<QueueConsumer> {
  const consumer = transport.consumer(spec(queue, prefetch, options));
  await Promise.all(keys.map((key) => consumer.bind(key)));
  await consumer.ready();
  return consumer;
}

/** Lets the broker run its dispatch turns. */
export async function turns(count = 5): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Puts `broker` (dispatch turns, TTLs, delayDeliveries, reconnects) on a fresh
 * TestScheduler and returns it: drive it with `advanceVirtualTime` from
 * rx-pubsub/testing, which also lets the transport's Promises settle.
 */
export function virtualClock(broker: MemoryBroker): TestScheduler {
  const scheduler = testScheduler();
  broker.setScheduler(scheduler);
  return scheduler;
}

/** Records the order in which publish Promises settle: `name`, or `name:CODE` when it rejects. */
export function track(settled: string[], name: string, promise: Promise<void>): Promise<void> {
  return promise.then(
    () => void settled.push(name),
    (error: unknown) => void settled.push(`${name}:${isRxPubsubError(error) ? error.code : 'error'}`),
  );
}
