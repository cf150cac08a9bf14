import { defer, type Observable } from 'rxjs';
import { publishedRoutingKeyOf } from '../core/headers.js';
import type { Outcome } from '../core/outcome.js';
import { ErrorCode, isRxPubsubError, messageOf } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Delivery, OutboundMessage, QueueConsumer, Transport } from '../transport/transport.js';
import { boundedText } from './copy-headers.js';
import { deadLetterOf, retryOf } from './dead-letter.js';

export interface SettleConfig {
  readonly transport: Transport;
  readonly consumer: QueueConsumer;
  readonly deadLetterQueue: string;
  readonly publishTimeoutMs: number;
  readonly logger: Logger;
  /** Stamped on every copy as its AMQP user-id (see Transport.loginUser). */
  readonly loginUser?: string | undefined;
}

/**
 * Carries out an outcome on the broker. Copies (to `Q.dlq`, to `Q.retry.<ms>`)
 * are published with confirm and only then is the delivery acked; if a copy
 * fails, the delivery is rejected without requeue, so the broker moves it to
 * `Q.dlq` through the queue's dead-letter exchange. Nothing is lost; never errors.
 */
export function settleDelivery(config: SettleConfig): (delivery: Delivery, outcome: Outcome) => Observable<boolean> | boolean {
  const { transport, consumer, deadLetterQueue, publishTimeoutMs: timeoutMs, logger, loginUser } = config;

  const copiesOf = async (delivery: Delivery, outcome: Outcome): Promise<OutboundMessage[]> => {
    if (outcome.kind === 'dead-letter') return [deadLetterOf(delivery, deadLetterQueue, outcome, timeoutMs, loginUser)];
    if (outcome.kind !== 'retry') return [];
    const retry = retryOf(delivery, await consumer.retryQueue(outcome.delayMs), outcome, outcome.pending, timeoutMs, loginUser);
    return outcome.deadLetter ? [deadLetterOf(delivery, deadLetterQueue, outcome.deadLetter, timeoutMs, loginUser), retry] : [retry];
  };

  // Copies are mandatory: one that reaches no queue (Q.dlq or a delay queue was deleted under us)
  // is sent again once the topology is declared again, rather than confirmed into the void.
  const publishCopy = async (copy: OutboundMessage): Promise<void> => {
    try {
      await transport.publish(copy);
    } catch (error) {
      if (!isRxPubsubError(error, ErrorCode.PUBLISH_UNROUTABLE)) throw error;
      logger.warn({ queue: copy.routingKey }, 'a queue for failed deliveries is gone; declaring it again');
      await consumer.redeclare();
      await transport.publish(copy);
    }
  };

  return (delivery, outcome) =>
    // The common case is done at once: no Observable, no Promise per delivery.
    // Each returns whether the broker action was sent, so the counters count what the broker got.
    outcome.kind === 'ack' || outcome.kind === 'unhandled'
      ? ack(delivery, logger)
      : defer(async () => {
          // The broker already gave it to someone again: a copy now would duplicate it.
          if (delivery.stale) {
            logger.debug({ routingKey: loggedKeyOf(delivery) }, 'failed delivery is stale; the broker redelivers it');
            return false;
          }
          try {
            for (const copy of await copiesOf(delivery, outcome)) await publishCopy(copy);
          } catch (error) {
            const fields = { routingKey: loggedKeyOf(delivery), reason: reasonOf(error) };
            logger.error(fields, 'could not copy a failed delivery; rejecting it to the broker, which dead-letters it');
            delivery.nack(false);
            return false;
          }
          return ack(delivery, logger);
        });
}

function ack(delivery: Delivery, logger: Logger): boolean {
  // Its channel died after it was delivered: the broker redelivers it, so the work may run twice.
  const sent = delivery.ack();
  if (!sent)
    logger.debug({ routingKey: delivery.routingKey }, 'ack dropped: the delivery belongs to a closed channel and will be redelivered');
  return sent;
}

// The error may come from a transport or a broker; reading it must not keep the delivery from its nack.
function reasonOf(error: unknown): string {
  try {
    return messageOf(error);
  } catch {
    return 'an error whose message cannot be read';
  }
}

/** The key the event was published with (a retried copy arrives keyed by its queue's name), bounded: it comes off the wire. */
function loggedKeyOf(delivery: Delivery): string {
  return boundedText(publishedRoutingKeyOf(delivery), 255);
}
