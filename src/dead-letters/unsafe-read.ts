import { ConfigError, ErrorCode, show } from '../errors.js';

/**
 * Refuses to read `queue` and give messages back unless it is a classic
 * queue, where a message given back keeps its place and its count.
 *
 * On a quorum queue, RabbitMQ (3.10 measured; 3.x alike) counts every
 * message given back, by a nack or by closing the channel, as a delivery
 * (`x-delivery-count` + 1), and past `x-delivery-limit` (or a policy's
 * `delivery-limit`, which no AMQP client can read) drops or dead-letters it.
 * AMQP 0-9-1 has no way to read a message without checking it out, so a peek
 * of a quorum queue cannot be made safe: it is refused, with this error,
 * rather than lose dead letters because someone looked at them. Operations
 * that remove everything they read (a replay or purge without a filter) give
 * nothing back and stay allowed.
 *
 * @throws {ConfigError} `UNSAFE_READ`
 */
export function refuseUnsafeRead(type: string, queue: string, operation: string): void {
  if (type === 'classic') return;
  const why =
    type === 'unknown'
      ? `RabbitMQ would not tell the type of queue ${show(queue)} (the user lacks the configure permission on it), and on a quorum queue`
      : `${show(queue)} is a ${type} queue, where`;
  throw new ConfigError(
    ErrorCode.UNSAFE_READ,
    `${operation} refused: ${why} every message read and given back counts as a delivery (x-delivery-count), and past a delivery-limit the broker drops or dead-letters it. ` +
      'A replay or purge without a filter (which removes what it reads) is safe there; to look first, shovel the messages to a classic queue' +
      (type === 'unknown' ? ', or grant the user the configure permission on the queue' : ''),
  );
}
