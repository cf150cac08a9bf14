import { RxPubsubHeader as Header } from '../core/headers.js';
import { messageOf } from '../errors.js';
import { type Event, routingKeyOf } from '../event/event.js';
import { decodeEvent } from '../event/serializer.js';
import type { MessageProperties } from '../transport/transport.js';
import type { HeldLetter } from './dead-letter-queue.js';

/**
 * One dead letter, decoded: what failed, why, and when. Read from the
 * headers rx-pubsub writes on its copies (`RxPubsubHeader`), or, for a
 * message the broker dead-lettered itself (a reject, an expiry, an overflow
 * of the service queue), from the broker's `x-death`.
 */
export interface DeadLetterEntry {
  /** Its place in the dead-letter queue when it was read: 0 is the head (the oldest). */
  readonly position: number;
  /** The AMQP `messageId`: the event's id for rx-pubsub's events. */
  readonly messageId: string | undefined;
  /** The event, when the body is one; `undefined` for a bad message (see {@link DeadLetterEntry.badBody}). */
  readonly event: Event | undefined;
  /** Why the body is not an event (the reason a bus gives), or `undefined` when it is one. */
  readonly badBody: string | undefined;
  /** The body, byte for byte. */
  readonly body: Buffer;
  /** The routing key it was published with, when known. */
  readonly routingKey: string | undefined;
  /** Who dead-lettered it: a bus (with reason headers) or the broker itself (`x-death` only). */
  readonly source: 'rx-pubsub' | 'broker' | 'unknown';
  /**
   * Why it failed: the last attempt's errors (`pattern: message; ...`), or for
   * the broker's own dead letters `broker: <reason> in <queue>` (`rejected`,
   * `expired`, `maxlen`, `delivery_limit`); `''` when nothing says.
   */
  readonly error: string;
  /** The patterns of the handlers that failed (none for a bad message or a broker dead letter). */
  readonly patterns: readonly string[];
  /** Attempts made before it was dead-lettered, the failed one included; `undefined` when nothing says. */
  readonly attempts: number | undefined;
  /** Every attempt's errors, `N: reason`, oldest first (earlier replays' attempts included). */
  readonly history: readonly string[];
  /** How many times it was replayed before (`rx-pubsub-replayed`). */
  readonly replayed: number;
  /** When it first failed (kept across retries and replays). */
  readonly firstFailedAt: Date | undefined;
  /** When it failed for the last time: when it was dead-lettered. */
  readonly lastFailedAt: Date | undefined;
  /** The AMQP properties as read, headers included. */
  readonly properties: MessageProperties;
}

interface Death {
  readonly reason: string;
  readonly queue: string;
  readonly routingKey: string | undefined;
  readonly time: Date | undefined;
}

/** The entry of a letter read at `position`. Never throws: a dead letter can hold anything. */
export function entryOf(letter: HeldLetter, position: number): DeadLetterEntry {
  const { properties, body } = letter;
  const headers = properties.headers ?? {};
  const { event, badBody } = decoded(letter);
  const deaths = deathsOf(headers['x-death']);
  const newest = deaths[0];
  const ours = typeof headers[Header.ERROR] === 'string';
  const lastFailedAt = timeOf(headers[Header.FAILED_AT]) ?? newest?.time;
  return {
    position,
    messageId: typeof properties.messageId === 'string' ? properties.messageId : undefined,
    event,
    badBody,
    body,
    routingKey: text(headers[Header.ROUTING_KEY]) ?? newest?.routingKey ?? (event ? routingKeyOf(event) : text(properties.type)),
    source: ours ? 'rx-pubsub' : newest ? 'broker' : 'unknown',
    error: ours ? String(headers[Header.ERROR]) : newest ? `broker: ${newest.reason} in ${newest.queue}` : '',
    patterns: (text(headers[Header.PATTERNS]) ?? '').split(' ').filter((pattern) => pattern !== ''),
    attempts: countOf(headers[Header.ATTEMPTS]),
    history: (text(headers[Header.HISTORY]) ?? '').split('\n').filter((line) => line !== ''),
    replayed: countOf(headers[Header.REPLAYED]) ?? 0,
    firstFailedAt: timeOf(headers[Header.FIRST_FAILED_AT]) ?? deaths.at(-1)?.time ?? lastFailedAt,
    lastFailedAt,
    properties,
  };
}

function decoded(letter: HeldLetter): { event: Event | undefined; badBody: string | undefined } {
  try {
    // Through the default exchange (as every copy in Q.dlq), the event's own domain.action stands, as for the bus.
    const { contentType, contentEncoding } = letter.properties;
    return { event: decodeEvent(letter.body, { routingKey: undefined, contentType, contentEncoding }), badBody: undefined };
  } catch (error) {
    return { event: undefined, badBody: messageOf(error) };
  }
}

/** The broker's `x-death` entries, newest first (RabbitMQ's order), the malformed left out. */
function deathsOf(value: unknown): Death[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const { reason, queue, time, 'routing-keys': keys } = entry as Record<string, unknown>;
    if (typeof reason !== 'string' || typeof queue !== 'string') return [];
    const routingKey = Array.isArray(keys) ? text(keys[0]) : undefined;
    return [{ reason, queue, routingKey, time: amqpTimeOf(time) }];
  });
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function countOf(value: unknown): number | undefined {
  const count = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(count) && count >= 0 ? count : undefined;
}

/** An ISO-8601 time as the bus writes it. */
function timeOf(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time;
}

/** An AMQP timestamp (seconds): a number on memory://, `{ '!': 'timestamp', value }` from amqplib. */
function amqpTimeOf(value: unknown): Date | undefined {
  const seconds = typeof value === 'object' && value !== null ? (value as { value?: unknown }).value : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000) : undefined;
}
