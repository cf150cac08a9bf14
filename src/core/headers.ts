import type { Delivery, MessageProperties } from '../transport/transport.js';

/**
 * Headers rx-pubsub writes. `x-` headers belong to the broker, so ours carry
 * a prefix of their own; values stay short, since headers travel inside
 * `frame_max`.
 */
export const DeadLetterHeader = {
  /** The error messages of the last attempt. */
  ERROR: 'rx-pubsub-error',
  /** Patterns of the handlers that failed, space-separated (patterns hold no whitespace; empty for a bad message). */
  PATTERNS: 'rx-pubsub-patterns',
  /** Attempts made so far, the failed one included. */
  ATTEMPTS: 'rx-pubsub-attempts',
  /** Every attempt's errors, one line each, newest last. */
  HISTORY: 'rx-pubsub-history',
  /**
   * On a retry: the handlers still to run (the others already succeeded), as a
   * JSON array of handler ids: the pattern, with `#2`, `#3`... for later
   * handlers registered on the same pattern.
   */
  PENDING: 'rx-pubsub-pending',
  /** On a retry: the routing key it was published with (it comes back keyed by the queue name). */
  ROUTING_KEY: 'rx-pubsub-routing-key',
} as const;

/** Set by RabbitMQ on redeliveries from quorum queues: earlier deliveries of this message. */
export const DELIVERY_COUNT_HEADER = 'x-delivery-count';

/** Attempts made before this delivery (0 for a first delivery). */
export function attemptsOf(properties: MessageProperties): number {
  return countOf(properties.headers?.[DeadLetterHeader.ATTEMPTS]) ?? 0;
}

/** On a retry, the ids of the handlers still to run; undefined for a first delivery (all matching handlers run). */
export function pendingPatternsOf(properties: MessageProperties): ReadonlySet<string> | undefined {
  const value = properties.headers?.[DeadLetterHeader.PENDING];
  if (typeof value !== 'string') return undefined;
  try {
    const ids: unknown = JSON.parse(value);
    return Array.isArray(ids) && ids.every((id) => typeof id === 'string') ? new Set(ids as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** The value of {@link DeadLetterHeader.PENDING} for these handler ids. */
export function pendingHeaderOf(ids: readonly string[]): string {
  return JSON.stringify(ids);
}

/** The id of the `occurrence`-th handler (1-based) registered on `pattern`. */
export function handlerIdOf(pattern: string, occurrence: number): string {
  return occurrence === 1 ? pattern : `${pattern}#${occurrence}`;
}

/** The routing key the event was published with, also for a delivery coming back from a delay queue. */
export function routingKeyOfDelivery(delivery: Delivery): string {
  const original = delivery.properties.headers?.[DeadLetterHeader.ROUTING_KEY];
  return typeof original === 'string' ? original : delivery.routingKey;
}

/** Earlier deliveries of this message as the broker counts them (quorum queues), or undefined. */
export function brokerDeliveryCountOf(properties: MessageProperties): number | undefined {
  return countOf(properties.headers?.[DELIVERY_COUNT_HEADER]);
}

// A count written by us or the broker: a non-negative integer, or its decimal string.
function countOf(value: unknown): number | undefined {
  const count = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(count) && count >= 0 ? count : undefined;
}
