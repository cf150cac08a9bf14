import type { ConsumeMessage } from 'amqplib';
import type { Logger } from '../../logger.js';
import type { AmqpConnection } from './amqp-connection.js';

/** What a read of a RabbitMQ stream needs: where, on which connection, and its bounds. */
export interface StreamReadContext {
  readonly stream: string;
  readonly connection: AmqpConnection;
  /** The first connect of that connection; its failure fails the read. */
  readonly connected: Promise<void>;
  readonly logger: Logger;
  /** Wait before reopening a channel the broker closed. */
  readonly reopenDelayMs: number;
  /** How long closing a read's channel may wait for the broker. */
  readonly closeTimeoutMs: number;
}

/** The offset RabbitMQ puts on each delivery from a stream (header `x-stream-offset`). */
export function streamOffsetOf(message: ConsumeMessage): number | undefined {
  const offset: unknown = message.properties.headers?.['x-stream-offset'];
  return typeof offset === 'number' && Number.isSafeInteger(offset) ? offset : undefined;
}

/**
 * Whether a channel setup failed because the broker refused it (a reply
 * code: 404 no such stream, 406 no replica here, 403 access refused), which
 * retrying cannot fix, rather than because the connection went down under it.
 */
export function brokerRefused(error: unknown): boolean {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number';
}
