import type { QueueSpec } from './transport.js';

/**
 * How a queue is declared. The declarations of a service queue's topology
 * below are shared by every transport, so that RabbitMQ and memory declare
 * exactly the same thing; re-declaring a queue differently fails, as in RabbitMQ.
 */
export interface QueueDeclaration {
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  /**
   * On memory://, honoured: `x-dead-letter-exchange`, `x-dead-letter-routing-key`,
   * `x-message-ttl`, `x-queue-type: 'quorum'` (counts redeliveries in
   * `x-delivery-count`) and, on quorum queues, `x-delivery-limit`. The others
   * are recorded only.
   */
  readonly arguments: Readonly<Record<string, unknown>>;
}

/** `Q.dlq`: a plain durable queue. */
export const DEAD_LETTER_QUEUE: QueueDeclaration = Object.freeze({ durable: true, exclusive: false, autoDelete: false, arguments: {} });

/** `Q` itself: its own dead-letter target is `Q.dlq`, so a message the broker rejects lands there too. */
export function serviceQueueOf(queue: QueueSpec): QueueDeclaration {
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
export function retryQueueOf(queue: string, delayMs: number): QueueDeclaration {
  return {
    durable: true,
    exclusive: false,
    autoDelete: false,
    arguments: { 'x-message-ttl': delayMs, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
  };
}
