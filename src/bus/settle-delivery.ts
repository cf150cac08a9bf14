import { defer, type Observable } from 'rxjs';
import type { Outcome } from '../core/outcome.js';
import { messageOf } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Delivery, QueueConsumer, Transport } from '../transport/transport.js';
import { deadLetterOf, retryOf } from './dead-letter.js';

export interface SettleConfig {
  readonly transport: Transport;
  readonly consumer: QueueConsumer;
  readonly deadLetterQueue: string;
  readonly publishTimeoutMs: number;
  readonly logger: Logger;
}

/**
 * Carries out an outcome on the broker. Copies (to `Q.dlq`, to `Q.retry.<ms>`)
 * are published with confirm and only then is the delivery acked; if a copy
 * fails, the delivery is rejected without requeue, so the broker moves it to
 * `Q.dlq` through the queue's dead-letter exchange. Nothing is lost; never errors.
 */
export function settleDelivery(config: SettleConfig): (delivery: Delivery, outcome: Outcome) => Observable<void> {
  const { transport, consumer, deadLetterQueue, publishTimeoutMs: timeoutMs, logger } = config;
  return (delivery, outcome) =>
    defer(async () => {
      try {
        if (outcome.kind === 'dead-letter') {
          await transport.publish(deadLetterOf(delivery, deadLetterQueue, outcome, timeoutMs));
        } else if (outcome.kind === 'retry') {
          if (outcome.deadLetter) await transport.publish(deadLetterOf(delivery, deadLetterQueue, outcome.deadLetter, timeoutMs));
          const queue = await consumer.retryQueue(outcome.delayMs);
          await transport.publish(retryOf(delivery, queue, outcome, outcome.pending, timeoutMs));
        }
      } catch (error) {
        logger.error('could not copy a failed delivery; rejecting it to the broker, which dead-letters it', {
          routingKey: delivery.routingKey,
          reason: messageOf(error),
        });
        delivery.nack(false);
        return;
      }
      if (!delivery.ack()) {
        // Its channel died after it was delivered: the broker redelivers it, so the work may run twice.
        logger.debug('ack dropped: the delivery belongs to a closed channel and will be redelivered', { routingKey: delivery.routingKey });
      }
    });
}
