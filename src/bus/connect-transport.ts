import { messageOf } from '../errors.js';
import type { Logger } from '../logger.js';
import { redactText } from '../redact-url.js';
import type { QueueConsumer, Transport } from '../transport/transport.js';
import { createTransport } from './create-transport.js';
import type { ResolvedOptions } from './options.js';

/**
 * Connects, declares the exchange and (with a `queue`) the service queue and
 * its `Q.dlq`, and waits for them. A topology that fails closes the transport:
 * nothing is left open behind the error.
 */
export async function connectTransport(config: ResolvedOptions): Promise<{ transport: Transport; consumer: QueueConsumer | undefined }> {
  const transport = createTransport(config);
  await transport.connect(config.exchange);
  if (config.queue === undefined) return { transport, consumer: undefined };
  const queue = { name: config.queue, deadLetterQueue: `${config.queue}.dlq`, ...config.queueOptions };
  const consumer = transport.consumer({ exchange: config.exchange, prefetch: config.prefetch, queue });
  try {
    await consumer.ready();
  } catch (error) {
    await transport.close();
    throw error;
  }
  return { transport, consumer };
}

/** Closes the transport within `timeoutMs` (past it, it destroys its connections); a failure is logged, not thrown. */
export async function closeTransport(transport: Transport, timeoutMs: number | undefined, logger: Logger): Promise<void> {
  try {
    await transport.close(timeoutMs);
  } catch (error) {
    logger.error({ step: 'close the transport', reason: redactText(messageOf(error)) }, 'close(): a step failed');
  }
}
