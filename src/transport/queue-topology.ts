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

/**
 * `Q.dlq`: durable, of Q's type. On a cluster a classic queue lives on one
 * node: a quorum Q's classic Q.dlq would be lost with that node, and while it
 * is down RabbitMQ refuses to declare it ("home node ... is down"), so no
 * reconnect to another node could set the consumer up again.
 */
export function deadLetterQueueOf(queue: Pick<QueueSpec, 'type'>): QueueDeclaration {
  return { durable: true, exclusive: false, autoDelete: false, arguments: typeArgument(queue.type) };
}

/** `Q` itself: its own dead-letter target is `Q.dlq`, so a message the broker rejects lands there too. */
export function serviceQueueOf(queue: QueueSpec): QueueDeclaration {
  return {
    durable: queue.durable,
    exclusive: queue.exclusive,
    autoDelete: queue.autoDelete,
    arguments: {
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': queue.deadLetterQueue,
      ...typeArgument(queue.type),
      ...queue.arguments,
    },
  };
}

/** The name of the delay queue of `queue` for `delayMs`. */
export function retryQueueName(queue: string, delayMs: number): string {
  return `${queue}.retry.${delayMs}`;
}

/**
 * A delay queue: nobody consumes it; when a message's TTL ends the broker
 * dead-letters it back to `queue`. Of the service queue's type, as Q.dlq (quorum
 * queues take a message TTL from RabbitMQ 3.10).
 */
export function retryQueueOf(queue: Pick<QueueSpec, 'name' | 'type'>, delayMs: number): QueueDeclaration {
  return {
    durable: true,
    exclusive: false,
    autoDelete: false,
    arguments: {
      'x-message-ttl': delayMs,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': queue.name,
      ...typeArgument(queue.type),
    },
  };
}

function typeArgument(type: QueueSpec['type']): Record<string, unknown> {
  return type === 'quorum' ? { 'x-queue-type': 'quorum' } : {};
}
