import type { Delivery, MessageProperties } from '../transport/transport.js';

/**
 * Headers rx-pubsub writes on the copies of a failed delivery: to `Q.dlq` and
 * to the delay queues of retries. `x-` headers belong to the broker, so ours
 * carry a prefix of their own; values stay short, since headers travel inside
 * `frame_max`.
 */
export const RxPubsubHeader = {
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
  /** The routing key it was published with (a copy travels keyed by a queue name); informational, never used for routing. */
  ROUTING_KEY: 'rx-pubsub-routing-key',
  /**
   * On a copy: how many of the original's own headers were left out, because
   * they could not be sent again (too large together, or of a type the AMQP
   * client cannot encode). Absent when none was.
   */
  DROPPED_HEADERS: 'rx-pubsub-dropped-headers',
  /** When this copy's failure happened (ISO-8601 UTC): on a dead letter, when it was dead-lettered. */
  FAILED_AT: 'rx-pubsub-failed-at',
  /** When the message first failed (ISO-8601 UTC), carried over by retries and replays. */
  FIRST_FAILED_AT: 'rx-pubsub-first-failed-at',
  /**
   * On a message replayed from `Q.dlq` (see `deadLetters`): how many times it
   * was replayed. Carried over to its next dead letter, so a second replay counts 2.
   */
  REPLAYED: 'rx-pubsub-replayed',
} as const;

/**
 * @deprecated The same table as {@link RxPubsubHeader}, under its first name:
 * it holds the retry headers too, not only the dead-letter ones.
 */
export const DeadLetterHeader = RxPubsubHeader;

/** Set by RabbitMQ on redeliveries from quorum queues: earlier deliveries of this message. */
export const DELIVERY_COUNT_HEADER = 'x-delivery-count';

/** Attempts made before this delivery (0 for a first delivery). */
export function attemptsOf(properties: MessageProperties): number {
  return countOf(properties.headers?.[RxPubsubHeader.ATTEMPTS]) ?? 0;
}

/** On a retry, the ids of the handlers still to run; undefined for a first delivery (all matching handlers run). */
export function pendingHandlerIdsOf(properties: MessageProperties): ReadonlySet<string> | undefined {
  const value = properties.headers?.[RxPubsubHeader.PENDING];
  if (typeof value !== 'string') return undefined;
  try {
    const ids: unknown = JSON.parse(value);
    return Array.isArray(ids) && ids.every((id) => typeof id === 'string') ? new Set(ids) : undefined;
  } catch {
    return undefined;
  }
}

/** The value of {@link RxPubsubHeader.PENDING} for these handler ids. */
export function pendingHeaderOf(ids: readonly string[]): string {
  return JSON.stringify(ids);
}

/** The id of the `occurrence`-th handler (1-based) registered on `pattern`. */
export function handlerIdOf(pattern: string, occurrence: number): string {
  return occurrence === 1 ? pattern : `${pattern}#${occurrence}`;
}

/**
 * Whether the delivery came back from one of `queue`'s own delay queues
 * (`<queue>.retry.<ms>`) when its TTL ended: sent through the default exchange
 * keyed by the queue name, and the broker's newest `x-death` entry names such
 * a delay queue with reason `expired`, and (where the transport has users)
 * the message carries the bus's own AMQP user-id. Only then are our retry headers
 * (attempts, pending handlers) believed: any publisher can write headers, and
 * trusting them would let it skip retries or handlers.
 */
export function cameFromDelayQueue(delivery: Delivery, queue: string, loginUser?: string): boolean {
  if (delivery.exchange !== '' || delivery.routingKey !== queue) return false;
  // x-death is written by whoever publishes: RabbitMQ passes a client's own along. The user-id is not: RabbitMQ
  // refuses one that is not the publisher's login, so only a message our user sent (a retry copy) carries ours.
  if (loginUser !== undefined && delivery.properties.userId !== loginUser) return false;
  const deaths = delivery.properties.headers?.['x-death'];
  const newest: unknown = Array.isArray(deaths) ? deaths[0] : undefined;
  if (typeof newest !== 'object' || newest === null) return false;
  const { queue: from, reason } = newest as { queue?: unknown; reason?: unknown };
  return (
    reason === 'expired' && typeof from === 'string' && from.startsWith(`${queue}.retry.`) && /^\d+$/.test(from.slice(queue.length + 7))
  );
}

/** The retry state of a delivery: believed only from this queue's delay queues, else a first attempt for every matching handler. */
export function retryStateOf(
  delivery: Delivery,
  queue: string,
  loginUser?: string,
): { readonly attempts: number; readonly pending: ReadonlySet<string> | undefined } {
  if (!cameFromDelayQueue(delivery, queue, loginUser)) return FIRST_ATTEMPT;
  return { attempts: attemptsOf(delivery.properties), pending: pendingHandlerIdsOf(delivery.properties) };
}

const FIRST_ATTEMPT = Object.freeze({ attempts: 0, pending: undefined });

/**
 * The routing key to record in a copy's {@link RxPubsubHeader.ROUTING_KEY},
 * for people reading `Q.dlq`: the delivery's own, or for one that came back
 * through the default exchange the one recorded before. Never used to choose handlers.
 */
export function publishedRoutingKeyOf(delivery: Delivery): string {
  const recorded = delivery.properties.headers?.[RxPubsubHeader.ROUTING_KEY];
  return delivery.exchange === '' && typeof recorded === 'string' ? recorded : delivery.routingKey;
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
