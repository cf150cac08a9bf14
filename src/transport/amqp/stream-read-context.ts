import type { Channel, ConsumeMessage } from 'amqplib';
import type { Subscription } from 'rxjs';
import type { RxPubsubError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { historyReadError } from '../history-topology.js';
import type { AmqpConnection } from './amqp-connection.js';
import { ManagedChannel } from './managed-channel.js';

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
 * A channel of a read (its consumer or its probe), set up by `setup` on every
 * connection; `refused` hears a setup the broker refused, which reopening
 * the channel cannot fix. Unsubscribe the returned subscription when done.
 */
export function readChannel(
  context: StreamReadContext,
  role: 'read' | 'probe',
  setup: (channel: Channel) => Promise<void>,
  refused: (error: RxPubsubError) => void,
): { readonly channel: ManagedChannel<Channel>; readonly subscription: Subscription } {
  const { connection, stream, reopenDelayMs, logger } = context;
  const channel = new ManagedChannel<Channel>(connection, {
    name: `${role} ${stream}`,
    confirm: false,
    setup,
    reopenDelayMs,
    transient: noReplicaYet,
    logger,
  });
  const subscription = channel.setupFailed$.subscribe((error) => {
    if (brokerRefused(error)) refused(historyReadError(stream, error));
  });
  return { channel, subscription };
}

/**
 * Whether a channel setup failed because the broker refused it for good (a
 * reply code: 404 no such stream, 403 access refused), rather than because the
 * connection went down under it, or with a 406 ({@link noReplicaYet}).
 */
function brokerRefused(error: unknown): boolean {
  const code = replyCodeOf(error);
  return code !== undefined && code !== PRECONDITION_FAILED;
}

/**
 * A consumer of a stream gets 406 (PRECONDITION_FAILED) while the stream has
 * no running replica on its connection's node: for a few seconds after that
 * node restarted (3.5 s on the test cluster). The channel is reopened every
 * reopenDelayMs until one runs: backing off, the read waited up to twice as
 * long as the replica took. A node that holds no replica of the stream at all
 * (one that joined after the stream was declared) refuses the same way, for
 * good: a consume attempt each reopenDelayMs, logged once at error level.
 */
function noReplicaYet(error: unknown): boolean {
  return replyCodeOf(error) === PRECONDITION_FAILED;
}

const PRECONDITION_FAILED = 406;

function replyCodeOf(error: unknown): number | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'number' ? code : undefined;
}
