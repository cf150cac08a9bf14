import { boundedText, copyableHeaders } from '../bus/copy-headers.js';
import { RxPubsubHeader as Header } from '../core/headers.js';
import { routingKeyOf } from '../event/event.js';
import type { MessageProperties, OutboundMessage } from '../transport/transport.js';
import type { DeadLetterEntry } from './dead-letter-entry.js';

/**
 * Headers a replay removes: those of the failure it puts an end to, so the
 * copy starts with a fresh retry budget and every matching handler runs
 * (the bus would not believe them anyway, off its own delay queues). The
 * history stays, for whoever reads the next dead letter, and so do the
 * first failure's time and the original routing key.
 */
const RESET: ReadonlySet<string> = new Set([Header.ATTEMPTS, Header.PENDING, Header.ERROR, Header.PATTERNS, Header.FAILED_AT]);

/** Where a replay sends its copies. */
export type ReplayTarget =
  /** The service queue only, through the default exchange: only that service handles it again. */
  | { readonly to: 'queue'; readonly queue: string }
  /** The topic exchange with the original routing key: every service bound to it gets it again. */
  | { readonly to: 'exchange'; readonly exchange: string };

/**
 * The copy a replay publishes for a dead letter, or `undefined` when it
 * cannot go to `target` (to an exchange, a dead letter whose routing key is
 * unknown). It keeps the body byte for byte and the properties (`messageId`,
 * which idempotent consumers rely on, `type`, `timestamp`, ...), drops the
 * broker's `x-` headers, `expiration` and `userId` (RabbitMQ refuses a
 * user-id that is not the publisher's login), and counts the replay in
 * `rx-pubsub-replayed`.
 */
export function replayCopyOf(entry: DeadLetterEntry, target: ReplayTarget, timeoutMs: number): OutboundMessage | undefined {
  const routingKey = target.to === 'queue' ? target.queue : entry.event ? routingKeyOf(entry.event) : entry.routingKey;
  if (routingKey === undefined) return undefined;
  const { headers = {}, userId: _userId, ...rest } = entry.properties;
  const { expiration: _expiration, ...properties } = rest as MessageProperties & { expiration?: unknown };
  // Headers that cannot be sent again (amqplib decodes some values it cannot encode) are left out, as the bus does.
  const kept = copyableHeaders(headers, (name) => !name.toLowerCase().startsWith('x-') && !RESET.has(name));
  const before = headers[Header.DROPPED_HEADERS];
  const dropped = kept.dropped + (typeof before === 'number' ? before : 0);
  return {
    exchange: target.to === 'queue' ? '' : target.exchange,
    routingKey,
    body: entry.body,
    properties: {
      ...properties,
      deliveryMode: 2,
      headers: {
        ...kept.headers,
        // Through the default exchange the copy arrives keyed by the queue's name: this keeps the real key on record.
        ...(entry.routingKey === undefined ? {} : { [Header.ROUTING_KEY]: boundedText(entry.routingKey, 255) }),
        ...(dropped > 0 ? { [Header.DROPPED_HEADERS]: dropped } : {}),
        [Header.REPLAYED]: entry.replayed + 1,
      },
    },
    mandatory: true,
    timeoutMs,
  };
}
