import amqplib, { type Channel, type ChannelModel } from 'amqplib';
import { ConnectionError, ErrorCode, messageOf } from '../errors.js';
import { redactText, redactUrl } from '../redact-url.js';
import { fatalConnectFailure } from '../transport/amqp/connect-failure.js';
import { splitCredentials } from '../transport/amqp/url-credentials.js';
import type { BrokerOptions } from './cli-options.js';

/**
 * A plain AMQP connection for one command run. The commands that only look
 * (`tail`, `status`) need no reconnects, confirms or topology of a bus: they
 * declare a temporary queue or nothing at all, and stop on a connection loss.
 */
export interface BrokerConnection {
  /** Rejects with a ConnectionError when the connection is lost before `close()`. */
  readonly lost: Promise<never>;
  /** A new channel; its errors reject the call that caused them (a 404 closes only that channel). */
  channel(): Promise<Channel>;
  /** Closes, giving up on a graceful close after `timeoutMs`. Never rejects. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * Connects to `options.url` as `connectionName` (shown in the management UI).
 * The password travels as SASL credentials, not in the URL amqplib keeps.
 * @throws {ConnectionError} `CONNECTION_FAILED`, its message redacted.
 */
export async function connectBroker(options: BrokerOptions, connectionName: string): Promise<BrokerConnection> {
  const connection = await connectWithin(options, connectionName);
  let closing = false;
  const lost = new Promise<never>((_, reject) => {
    connection.on('error', () => {}); // a 'close' follows, with the reason
    connection.on('close', (error: unknown) => {
      if (closing) return;
      const why = error === undefined ? 'closed by the broker' : redactText(messageOf(error));
      reject(
        new ConnectionError(ErrorCode.CONNECTION_FAILED, `lost the connection to ${redactUrl(options.url)}: ${why}`, { cause: error }),
      );
    });
  });
  lost.catch(() => {}); // read by whoever races it; never an unhandled rejection
  return {
    lost,
    channel: async () => {
      const channel = await connection.createChannel();
      channel.on('error', () => {}); // reported by the rejected call
      return channel;
    },
    close: async (timeoutMs) => {
      closing = true;
      await closeWithin(connection, timeoutMs);
    },
  };
}

async function connectWithin(options: BrokerOptions, connectionName: string): Promise<ChannelModel> {
  const { url, credentials } = splitCredentials(options.url);
  const connecting = amqplib.connect(url, {
    ...(credentials === undefined ? {} : { credentials }),
    timeout: options.timeoutMs,
    noDelay: true,
    clientProperties: { connection_name: connectionName, product: 'rx-pubsub' },
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${options.timeoutMs} ms (--timeout)`)), options.timeoutMs);
  });
  try {
    return await Promise.race([connecting, deadline]);
  } catch (error) {
    // A connection that arrives after the deadline is closed, not leaked.
    connecting.then(
      (late) => closeWithin(late, options.timeoutMs),
      () => {},
    );
    const why = fatalConnectFailure(error) ?? redactText(messageOf(error));
    throw new ConnectionError(ErrorCode.CONNECTION_FAILED, `cannot connect to ${redactUrl(options.url)}: ${why}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

async function closeWithin(connection: ChannelModel, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  try {
    await Promise.race([connection.close().catch(() => {}), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** An amqplib channel or connection error's AMQP reply code (404 NOT_FOUND, 406 PRECONDITION_FAILED), if any. */
export function replyCodeOf(error: unknown): number | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'number' ? code : undefined;
}
