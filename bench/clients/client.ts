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
  /**
   * The patterns to register, each with its own handler. rx-pubsub registers
   * them with `bus.handle`; raw amqplib, when there are any, dispatches each
   * delivery to the handlers whose pattern matches its routing key, as a
   * hand-written router would (the other clients ignore them).
   */
  readonly patterns: readonly string[];
  /** raw amqplib and rx-pubsub: the size each event is padded to (0: ~200 bytes); see `benchData`. */
  readonly eventBytes: number;
  /** rx-pubsub: the type its bus declares its queue with. */
  readonly queueType: 'classic' | 'quorum';
  /** raw amqplib and rx-pubsub: handlers are `async` (the ack waits for every handler's Promise). */
  readonly asyncHandlers: boolean;
  /** rx-pubsub only: see Job.telemetry. */
  readonly telemetry: 'off' | 'api' | 'sdk';
  /** rx-pubsub only: see Job.publishAll. */
  readonly publishAll?: boolean;
  /** raw amqplib only: see Job.keepCopies. */
  readonly keepCopies?: boolean;
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
