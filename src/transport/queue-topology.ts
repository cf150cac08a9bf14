import type { QueueSpec } from './transport.js';

/**
 * How a queue is declared. The declarations of a service queue's topology
 * below are shared by every transport, so that RabbitMQ and memory declare
 * exactly the same thing; re-declaring a queue differently fails, as in RabbitMQ.
 */
export interface QueueDeclaration {
  /** Survives a broker restart. */
  readonly durable: boolean;
  /** Only the declaring connection may use it; deleted when that connection closes. */
  readonly exclusive: boolean;
  /** Deleted when its last consumer goes. */
  readonly autoDelete: boolean;
  /**
   * On memory://, honoured: `x-dead-letter-exchange`, `x-dead-letter-routing-key`,
   * `x-message-ttl`, `x-queue-type: 'quorum'` (counts redeliveries in
   * `x-delivery-count`), `x-single-active-consumer` and, on quorum queues,
   * `x-delivery-limit`. Arguments the queue type refuses on RabbitMQ are
   * refused; the others are recorded only.
   */
  readonly arguments: Readonly<Record<string, unknown>>;
}

const QUORUM = { 'x-queue-type': 'quorum' } as const;

/**
 * `Q.dlq`: durable, of the service queue's type. No `x-delivery-limit`: an
 * operator who peeks at dead letters (get, then requeue) must never make the
 * broker drop one. A classic `Q` keeps a classic `Q.dlq`, as declared before
 * quorum became the default. On a cluster a classic queue lives on one node:
 * a quorum Q's classic Q.dlq would be lost with that node, and while it is
 * down RabbitMQ refuses to declare it ("home node ... is down"), so no
 * reconnect to another node could set the consumer up again.
 */
export function deadLetterQueueOf(queue: Pick<QueueSpec, 'type'>): QueueDeclaration {
  return { durable: true, exclusive: false, autoDelete: false, arguments: queue.type === 'quorum' ? QUORUM : {} };
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
      ...(queue.type === 'quorum' ? QUORUM : {}),
      ...(queue.singleActiveConsumer === true ? { 'x-single-active-consumer': true } : {}),
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
 * dead-letters it back to the service queue. It holds the only copy of a
 * message being retried (the original was acked once the copy was
 * confirmed), so it is as safe as the service queue: of its type, and on a
 * quorum queue dead-lettered at-least-once (RabbitMQ's default for quorum
 * queues is at-most-once: a copy expiring while `Q` is unavailable would be
 * dropped). At-least-once needs `x-overflow: reject-publish`, which a queue
 * without a length limit never applies.
 */
export function retryQueueOf(queue: QueueSpec, delayMs: number): QueueDeclaration {
  return {
    durable: true,
    exclusive: false,
    autoDelete: false,
    arguments: {
      ...(queue.type === 'quorum' ? { ...QUORUM, 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } : {}),
      'x-message-ttl': delayMs,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': queue.name,
    },
  };
}
