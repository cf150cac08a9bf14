import type { MessageProperties } from '../transport.js';

/**
 * How long a message may wait in a queue, in ms: the lower of the queue's
 * TTL (`x-message-ttl`, -1 for none) and the message's own `expiration`
 * (RabbitMQ's rule), or -1 when neither applies. An `expiration` RabbitMQ
 * would refuse (not a decimal string of ms) is ignored.
 */
export function messageTtl(queueTtl: number, properties: MessageProperties): number {
  const { expiration } = properties;
  const own = expiration !== undefined && /^\d{1,10}$/.test(expiration) ? Number(expiration) : -1;
  return own < 0 ? queueTtl : queueTtl < 0 ? own : Math.min(own, queueTtl);
}
