import type { BenchData, Wire } from '../lib/bench-event.js';

/** Where a client publishes and consumes; the runner made the exchange (and, for plain clients, the queue). */
export interface ClientOptions {
  readonly url: string;
  readonly exchange: string;
  readonly queue: string;
  readonly prefetch: number;
  /** Disable Nagle's algorithm where the client has a switch for it. */
  readonly noDelay: boolean;
  /** Whether the client consumes in this scenario (a publish-only rx-pubsub bus has no queue). */
  readonly consumes: boolean;
  /** raw amqplib only: the properties it publishes with (see `propertiesFor`). */
  readonly wire: Wire;
  /** rx-pubsub only: the patterns to register, each with its own handler. */
  readonly patterns: readonly string[];
}

/**
 * One RabbitMQ client, used idiomatically with the same guarantees as the
 * others: persistent messages, publisher confirms, manual acks.
 */
export interface BenchClient {
  /** Connects and declares what the client declares itself; consumes nothing yet. */
  connect(): Promise<void>;
  /** Publishes events 0..count-1 with at most `window` unconfirmed; resolves once all are confirmed. */
  publishMany(count: number, window: number): Promise<void>;
  /** Publishes one event; resolves on its confirm. */
  publish(seq: number, sentAt: number): Promise<void>;
  /**
   * Starts consuming. `onEvent` runs once per delivery with the decoded data,
   * then the delivery is acked and `onAcked` runs.
   */
  consume(onEvent: (data: BenchData) => void, onAcked: () => void): Promise<void>;
  close(): Promise<void>;
}

export type ClientFactory = (options: ClientOptions) => BenchClient;
