import { AmqpTransport } from '../transport/amqp/amqp-transport.js';
import { MemoryTransport } from '../transport/memory/memory-transport.js';
import type { Transport } from '../transport/transport.js';
import type { ResolvedOptions } from './options.js';

/** `memory://NAME` → the in-process broker NAME; `amqp(s)://` → RabbitMQ. */
export function createTransport(options: ResolvedOptions): Transport {
  if (options.transport) return options.transport;
  const urls = options.urls.reveal();
  const [first = ''] = urls;
  const logger = options.logger.child({ transport: first.startsWith('memory://') ? 'memory' : 'amqp' });
  if (first.startsWith('memory://'))
    return new MemoryTransport({
      url: withoutCredentials(first),
      logger,
      maxPendingPublishes: options.maxPendingPublishes,
      maxMessageBytes: options.maxMessageBytes,
    });
  return new AmqpTransport({
    urls,
    heartbeatSeconds: options.heartbeatSeconds,
    reconnectDelayMs: options.reconnectDelayMs,
    connectTimeoutMs: options.connectTimeoutMs,
    connectionName: options.connectionName,
    tls: options.tls?.reveal(),
    maxPendingPublishes: options.maxPendingPublishes,
    maxMessageBytes: options.maxMessageBytes,
    logger,
  });
}

// The in-process broker has no login: credentials in a memory:// URL mean nothing, and the transport shows its URL in state$.
function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}
