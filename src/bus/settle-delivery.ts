import { defer, type Observable } from 'rxjs';
import type { Outcome } from '../core/outcome.js';
import { messageOf } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Delivery, Transport } from '../transport/transport.js';
import { deadLetterOf } from './dead-letter.js';

export interface SettleConfig {
  readonly transport: Transport;
  readonly deadLetterQueue: string;
  readonly publishTimeoutMs: number;
  readonly logger: Logger;
}

/**
 * Carries out an outcome on the broker. A dead letter is copied to `Q.dlq`
 * with confirm and only then acked; if that copy fails, the delivery is
 * rejected without requeue so the broker moves it to `Q.dlq` through the
 * queue's dead-letter exchange. Never errors.
 */
export function settleDelivery(config: SettleConfig): (delivery: Delivery, outcome: Outcome) => Observable<void> {
  return (delivery, outcome) =>
    defer(async () => {
      if (outcome.kind !== 'dead-letter') {
        if (!delivery.ack()) stale(config.logger, delivery);
        return;
      }
      const copy = deadLetterOf(delivery, config.deadLetterQueue, outcome.reason, outcome.failures, config.publishTimeoutMs);
      try {
        await config.transport.publish(copy);
        if (!delivery.ack()) stale(config.logger, delivery);
      } catch (error) {
        config.logger.error('could not copy a dead letter; rejecting it to the broker instead', {
          routingKey: delivery.routingKey,
          reason: messageOf(error),
        });
        delivery.nack(false);
      }
    });
}

// Its channel died after it was delivered: the broker redelivers it, so the work may run twice.
function stale(logger: Logger, delivery: Delivery): void {
  logger.debug('ack dropped: the delivery belongs to a closed channel and will be redelivered', { routingKey: delivery.routingKey });
}
