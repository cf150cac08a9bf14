import { RxPubsubHeader as Header, pendingHeaderOf, publishedRoutingKeyOf } from '../core/headers.js';
import type { Failed } from '../core/outcome.js';
import { boundedText, copyableHeaders } from './copy-headers.js';
import type { Delivery, MessageProperties, OutboundMessage } from '../transport/transport.js';

// eslint-disable-next-line @typescript-eslint/no-deprecated -- DeadLetterHeader stays exported under its first name for existing users
export { DeadLetterHeader, RxPubsubHeader } from '../core/headers.js';

const MAX_HISTORY = 2_000;
const MAX_HISTORY_BYTES = 4_000;
const MAX_ERROR_BYTES = 2_000;
const MAX_PATTERNS_BYTES = 1_000;
/** Our headers: rewritten on every copy, never carried over from the original. */
const OURS: ReadonlySet<string> = new Set([
  Header.ERROR,
  Header.PATTERNS,
  Header.ATTEMPTS,
  Header.HISTORY,
  Header.ROUTING_KEY,
  Header.PENDING,
  Header.DROPPED_HEADERS,
  Header.FAILED_AT,
  Header.FIRST_FAILED_AT,
]);

/** A copy of a delivery to publish: its body is the delivery's bytes, never a string. */
export type DeliveryCopy = OutboundMessage & { readonly body: Buffer };

/**
 * The copy of a failed delivery for `Q.dlq`: the original body and properties
 * plus the reason headers and the whole history, through the default exchange.
 */
export function deadLetterOf(
  delivery: Delivery,
  deadLetterQueue: string,
  failure: Failed,
  timeoutMs: number,
  loginUser?: string,
): DeliveryCopy {
  return copyOf(delivery, deadLetterQueue, failure, {}, timeoutMs, loginUser);
}

/**
 * The copy of a failed delivery for the delay queue `Q.retry.<ms>`, which
 * dead-letters it back to `Q` when its TTL ends; only the handlers in
 * `pending` (handler ids) run on it then.
 */
export function retryOf(
  delivery: Delivery,
  retryQueue: string,
  failure: Failed,
  pending: readonly string[],
  timeoutMs: number,
  loginUser?: string,
): DeliveryCopy {
  return copyOf(delivery, retryQueue, failure, { [Header.PENDING]: pendingHeaderOf(pending) }, timeoutMs, loginUser);
}

function copyOf(
  delivery: Delivery,
  queue: string,
  failure: Failed,
  extra: Record<string, string>,
  timeoutMs: number,
  loginUser: string | undefined,
): DeliveryCopy {
  const { headers = {}, ...properties } = delivery.properties;
  const kept = copyableHeaders(headers, (name) => !name.toLowerCase().startsWith('x-') && !OURS.has(name));
  const patterns = [...new Set(failure.failures.map((f) => f.pattern).filter((p) => p !== ''))];
  const failedAt = new Date().toISOString();
  const copy: Omit<MessageProperties, 'userId'> & { expiration?: unknown; userId?: string | undefined } = {
    ...properties,
    deliveryMode: 2,
    headers: {
      ...kept.headers,
      // Ours are bounded in bytes, whatever the text: together with the foreign budget they fit amqplib's 64 KiB.
      [Header.ERROR]: boundedText(failure.reason, MAX_ERROR_BYTES),
      // Patterns hold no whitespace, but braces hold commas.
      [Header.PATTERNS]: boundedText(patterns.join(' '), MAX_PATTERNS_BYTES),
      [Header.ATTEMPTS]: failure.attempt,
      [Header.HISTORY]: boundedText(historyOf(headers[Header.HISTORY], failure), MAX_HISTORY_BYTES),
      [Header.ROUTING_KEY]: boundedText(publishedRoutingKeyOf(delivery), 255),
      [Header.FIRST_FAILED_AT]: firstFailureOf(headers[Header.FIRST_FAILED_AT]) ?? failedAt,
      [Header.FAILED_AT]: failedAt,
      ...(kept.dropped > 0 ? { [Header.DROPPED_HEADERS]: kept.dropped } : {}),
      ...extra,
    },
  };
  // A TTL copied along would expire the copy itself.
  delete copy.expiration;
  // The user-id is ours, never the original publisher's: RabbitMQ refuses one that is not the sender's login,
  // and it is what proves a retry copy came from this bus (see cameFromDelayQueue).
  if (loginUser === undefined) delete copy.userId;
  else copy.userId = loginUser;
  return { exchange: '', routingKey: queue, body: delivery.body, properties: copy, mandatory: true, timeoutMs };
}

function historyOf(previous: unknown, failure: Failed): string {
  const lines = typeof previous === 'string' && previous !== '' ? previous.split('\n') : [];
  lines.push(`${failure.attempt}: ${failure.reason}`);
  let history = lines.join('\n');
  while (history.length > MAX_HISTORY && lines.length > 1) {
    lines.shift();
    history = `…\n${lines.join('\n')}`;
  }
  return history.length > MAX_HISTORY ? history.slice(history.length - MAX_HISTORY) : history;
}

// Informational, like the history: kept from any delivery, but only when it is a time (and so short).
function firstFailureOf(previous: unknown): string | undefined {
  return typeof previous === 'string' && ISO_TIME.test(previous) ? previous : undefined;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
