import type { MessageProperties, OutboundMessage } from '../transport/transport.js';

/**
 * The port the dead-letter operations run on, implemented over amqplib
 * (amqp-dead-letter-queue.ts) and over the in-process broker
 * (memory-dead-letter-queue.ts). It is deliberately small: read without ack,
 * ack, publish with confirm, give everything back, count what is ready.
 */

/** A message read from a dead-letter queue and held (unacknowledged) until it is acked or its session releases it. */
export interface HeldLetter {
  readonly body: Buffer;
  readonly properties: MessageProperties;
  /** The exchange and key it reached the queue with (`''` and the queue's name for the bus's copies). */
  readonly exchange: string;
  readonly routingKey: string;
}

/** A consumer started by {@link DeadLetterSession.consume}. */
export interface LetterConsumer {
  /** Stops its deliveries; what it delivered stays held. Resolves once no delivery can follow. */
  cancel(): Promise<void>;
}

/** What the broker did with a confirmed publish. */
export type PublishResult = 'routed' | 'unroutable';

/** One session on one dead-letter queue: whatever it reads stays held until acked, or given back by `release`. */
export interface DeadLetterSession {
  /** Messages ready in the queue (those held by a consumer, this session's included, are not counted). */
  readyCount(): Promise<number>;
  /** Consumers of the queue, this session's included. */
  consumerCount(): Promise<number>;
  /**
   * Starts a consumer with manual acks holding at most `prefetch` unacked
   * deliveries; they reach `deliver` in queue order. `lost` hears it when the
   * broker ends the consumer or the session's connection (once, at most).
   */
  consume(prefetch: number, deliver: (letter: HeldLetter) => void, lost: (error: Error) => void): Promise<LetterConsumer>;
  /** Removes a held letter from the queue (a no-op once the session is released). */
  ack(letter: HeldLetter): void;
  /** Resolves once the broker has processed every ack sent before this call. */
  acksProcessed(): Promise<void>;
  /**
   * Publishes `message` (mandatory) and waits for the broker's confirm.
   * @throws {PublishError} when the broker refuses it or no confirm came within its `timeoutMs`.
   */
  publish(message: OutboundMessage): Promise<PublishResult>;
  /** Ends the session: every held letter goes back to the queue where it was, in order. Idempotent. */
  release(): Promise<void>;
}

/** A quorum queue's `x-delivery-limit` argument, as far as the broker lets it be known. */
export type DeliveryLimit =
  /** Proven absent: the queue re-declared exactly as the bus declares `Q.dlq` (RabbitMQ compares the argument on a re-declare). */
  | { readonly kind: 'none' }
  /** Set (`value` as the broker shows it): past it, the broker drops or dead-letters a message given back. */
  | { readonly kind: 'set'; readonly value: string }
  /** Cannot be known: `why` says what hid it. */
  | { readonly kind: 'unknown'; readonly why: string };

/** What decides how a queue may be read: see `read-strategy.ts`. */
export interface QueueReadProfile {
  /**
   * `classic` keeps a message read and given back as it was; `quorum` (and
   * anything else) counts it as a delivery. `unknown` when the broker would
   * not say (then `deliveryLimit` says why).
   */
  readonly type: string;
  /** On a quorum queue, its `x-delivery-limit` argument; `none` on other types. */
  readonly deliveryLimit: DeliveryLimit;
  /** The broker's major version, when it tells (RabbitMQ 4 gives every quorum queue a delivery limit, not visible over AMQP). */
  readonly brokerMajor: number | undefined;
}

/** A broker holding dead-letter queues: opens sessions and answers questions about its topology. */
export interface DeadLetterBroker {
  /**
   * How `queue` treats a message read and given back.
   * @throws {ConfigError} `INVALID_ARGUMENT` when the queue does not exist.
   */
  readProfile(queue: string): Promise<QueueReadProfile>;
  /** @throws {ConfigError} `INVALID_ARGUMENT` when the queue does not exist. */
  checkQueue(queue: string): Promise<void>;
  /** @throws {ConfigError} `INVALID_ARGUMENT` when the exchange does not exist. */
  checkExchange(exchange: string): Promise<void>;
  /** @throws {ConnectionError} when the broker cannot be reached. */
  open(queue: string): Promise<DeadLetterSession>;
  close(): Promise<void>;
}
