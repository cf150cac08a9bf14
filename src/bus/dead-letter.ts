import type { HandlerFailure } from '../core/outcome.js';
import type { Delivery, MessageProperties, OutboundMessage } from '../transport/transport.js';

/** Headers rx-pubsub adds to a dead letter. `x-` headers belong to the broker, so ours have a prefix of our own. */
export const DeadLetterHeader = {
  /** The error messages, short. */
  ERROR: 'rx-pubsub-error',
  /** The patterns of the handlers that failed, comma-separated (empty for a bad message). */
  PATTERNS: 'rx-pubsub-patterns',
  /** How many times the message was attempted, counting this one. */
  ATTEMPTS: 'rx-pubsub-attempts',
} as const;

/**
 * The copy of a failed delivery for `Q.dlq`: the original body and
 * properties plus the reason headers, sent through the default exchange.
 */
export function deadLetterOf(
  delivery: Delivery,
  deadLetterQueue: string,
  reason: string,
  failures: readonly HandlerFailure[],
  timeoutMs: number,
): OutboundMessage {
  const { headers = {}, ...properties } = delivery.properties;
  const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => !name.toLowerCase().startsWith('x-')));
  const previous = Number(headers[DeadLetterHeader.ATTEMPTS] ?? 0);
  const patterns = failures.map((f) => f.pattern).filter((p) => p !== '');
  const copy: MessageProperties & { expiration?: unknown } = {
    ...properties,
    deliveryMode: 2,
    headers: {
      ...kept,
      [DeadLetterHeader.ERROR]: reason,
      [DeadLetterHeader.PATTERNS]: [...new Set(patterns)].join(','),
      [DeadLetterHeader.ATTEMPTS]: (Number.isSafeInteger(previous) ? previous : 0) + 1,
    },
  };
  // A TTL copied along would expire the dead letter itself.
  delete copy.expiration;
  return { exchange: '', routingKey: deadLetterQueue, body: delivery.body, properties: copy, timeoutMs };
}
