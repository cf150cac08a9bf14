import { DeadLetterHeader as Header, pendingHeaderOf, publishedRoutingKeyOf } from '../core/headers.js';
import type { HandlerFailure } from '../core/outcome.js';
import type { Delivery, MessageProperties, OutboundMessage } from '../transport/transport.js';

export { DeadLetterHeader } from '../core/headers.js';

/** What went wrong on one attempt. */
export interface AttemptFailure {
  /** This attempt's number, 1 for the first delivery. */
  readonly attempt: number;
  readonly reason: string;
  readonly failures: readonly HandlerFailure[];
}

const MAX_HISTORY = 2_000;

/** A copy of a delivery to publish: its body is the delivery's bytes, never a string. */
export type DeliveryCopy = OutboundMessage & { readonly body: Buffer };

/**
 * The copy of a failed delivery for `Q.dlq`: the original body and properties
 * plus the reason headers and the whole history, through the default exchange.
 */
export function deadLetterOf(delivery: Delivery, deadLetterQueue: string, failure: AttemptFailure, timeoutMs: number): DeliveryCopy {
  return copyOf(delivery, deadLetterQueue, failure, {}, timeoutMs);
}

/**
 * The copy of a failed delivery for the delay queue `Q.retry.<ms>`, which
 * dead-letters it back to `Q` when its TTL ends; only the handlers in
 * `pending` (handler ids) run on it then.
 */
export function retryOf(
  delivery: Delivery,
  retryQueue: string,
  failure: AttemptFailure,
  pending: readonly string[],
  timeoutMs: number,
): DeliveryCopy {
  return copyOf(delivery, retryQueue, failure, { [Header.PENDING]: pendingHeaderOf(pending) }, timeoutMs);
}

function copyOf(
  delivery: Delivery,
  queue: string,
  failure: AttemptFailure,
  extra: Record<string, string>,
  timeoutMs: number,
): DeliveryCopy {
  const { headers = {}, ...properties } = delivery.properties;
  const kept = Object.fromEntries(
    Object.entries(headers).filter(([name]) => !name.toLowerCase().startsWith('x-') && name !== Header.PENDING),
  );
  const patterns = [...new Set(failure.failures.map((f) => f.pattern).filter((p) => p !== ''))];
  const copy: MessageProperties & { expiration?: unknown } = {
    ...properties,
    deliveryMode: 2,
    headers: {
      ...kept,
      [Header.ERROR]: failure.reason,
      // Patterns hold no whitespace, but braces hold commas.
      [Header.PATTERNS]: patterns.join(' '),
      [Header.ATTEMPTS]: failure.attempt,
      [Header.HISTORY]: historyOf(headers[Header.HISTORY], failure),
      [Header.ROUTING_KEY]: publishedRoutingKeyOf(delivery),
      ...extra,
    },
  };
  // A TTL copied along would expire the copy itself.
  delete copy.expiration;
  return { exchange: '', routingKey: queue, body: delivery.body, properties: copy, mandatory: true, timeoutMs };
}

function historyOf(previous: unknown, failure: AttemptFailure): string {
  const lines = typeof previous === 'string' && previous !== '' ? previous.split('\n') : [];
  lines.push(`${failure.attempt}: ${failure.reason}`);
  let history = lines.join('\n');
  while (history.length > MAX_HISTORY && lines.length > 1) {
    lines.shift();
    history = `…\n${lines.join('\n')}`;
  }
  return history.length > MAX_HISTORY ? history.slice(history.length - MAX_HISTORY) : history;
}
