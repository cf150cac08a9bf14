/**
 * A bare transport of each kind, for tests below the bus (raw OutboundMessages
 * the bus itself would refuse). Closed, and its exchange deleted, when the test finishes.
 */
import { silentLogger, type Logger } from '../../src/logger.js';
import { AmqpTransport } from '../../src/transport/amqp/amqp-transport.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import type { OutboundMessage, Transport } from '../../src/transport/transport.js';
import { registerCleanup, teardown } from './bus.js';

export interface TransportOptions {
  readonly logger?: Logger;
  readonly maxMessageBytes?: number;
  readonly maxPendingPublishes?: number;
  readonly reconnectDelayMs?: number;
  readonly connectTimeoutMs?: number;
}

/** A transport on `url` (amqp:// or memory://), closed when the test finishes. */
export function openTransport(url: string, options: TransportOptions = {}): Transport {
  const logger = options.logger ?? silentLogger;
  const transport = url.startsWith('memory://')
    ? new MemoryTransport({ url, logger, maxPendingPublishes: options.maxPendingPublishes, maxMessageBytes: options.maxMessageBytes })
    : new AmqpTransport({
        urls: [url],
        heartbeatSeconds: 5,
        reconnectDelayMs: options.reconnectDelayMs ?? 100,
        connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
        connectionName: 'rx-pubsub test',
        tls: undefined,
        maxPendingPublishes: options.maxPendingPublishes ?? 10_000,
        ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
        logger,
      });
  teardown(() => transport.close());
  return transport;
}

/** `openTransport` and `connect(exchange)`; the exchange is deleted when the test finishes. */
export async function connectTransport(url: string, exchange: string, options: TransportOptions = {}): Promise<Transport> {
  registerCleanup(url, exchange);
  const transport = openTransport(url, options);
  await transport.connect(exchange);
  return transport;
}

/** A small JSON message to `exchange` with `routingKey`, confirmed within 5 s. */
export function message(exchange: string, routingKey: string, change: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    exchange,
    routingKey,
    body: JSON.stringify({ routingKey }),
    properties: { contentType: 'application/json', deliveryMode: 2, timestamp: Math.floor(Date.now() / 1000) },
    timeoutMs: 5_000,
    ...change,
  };
}
