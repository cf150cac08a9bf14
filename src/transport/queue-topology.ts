import type { QueueSpec } from './transport.js';

/**
 * The declarations of a service queue's topology, shared by every transport
 * so that RabbitMQ and memory declare exactly the same thing.
 */
export interface QueueDeclarationOf {
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** `Q.dlq`: a plain durable queue. */
export const DEAD_LETTER_QUEUE: QueueDeclarationOf = Object.freeze({ durable: true, exclusive: false, autoDelete: false, arguments: {} });

/** `Q` itself: its own dead-letter target is `Q.dlq`, so a message the broker rejects lands there too. */
export function serviceQueueOf(queue: QueueSpec): QueueDeclarationOf {
  return {
    durable: queue.durable,
    exclusive: queue.exclusive,
    autoDelete: queue.autoDelete,
    arguments: {
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': queue.deadLetterQueue,
      ...(queue.type === 'quorum' ? { 'x-queue-type': 'quorum' } : {}),
      ...queue.arguments,
    },
  };
}

/** The name of the delay queue of `queue` for `delayMs`. */
export function retryQueueName(queue: string, delayMs: number): string {
  return `${queue}.retry.${delayMs}`;
}

/** A delay queue: nobody consumes it; when a message's TTL ends the broker dead-letters it back to `queue`. */
export function retryQueueOf(queue: string, delayMs: number): QueueDeclarationOf {
  return {
    durable: true,
    exclusive: false,
    autoDelete: false,
    arguments: { 'x-message-ttl': delayMs, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
  };
}
