import { MAX_DATA_DEPTH } from './json.js';

/**
 * The bounds every event keeps, checked by `createEvent`, `defineEvent` and on
 * every arriving event. Most are AMQP's: an id, a correlation id and the
 * routing key travel as AMQP short strings (at most 255 bytes), and the
 * timestamp as unsigned seconds since 1970. An event past them could be
 * created but never published.
 */
export const EVENT_LIMITS = Object.freeze({
  /** `id`, `correlationId` and `causationId`, in UTF-8 bytes (AMQP `messageId`/`correlationId` are short strings). */
  maxIdBytes: 255,
  /** The routing key `domain.action` (also the AMQP `type`), in bytes: so `domain` and `action` together at most 254 characters. */
  maxRoutingKeyBytes: 255,
  /** The earliest `timestamp`: AMQP timestamps are unsigned. */
  minTimestamp: '1970-01-01T00:00:00.000Z',
  /** The latest `timestamp`: the last one ISO-8601 writes with a four-digit year. */
  maxTimestamp: '9999-12-31T23:59:59.999Z',
  /** Entries in `metadata`. */
  maxMetadataEntries: 64,
  /** A `metadata` key, in UTF-8 bytes (and at least one character). */
  maxMetadataKeyBytes: 255,
  /** A `metadata` value, in UTF-8 bytes. */
  maxMetadataValueBytes: 4096,
  /** Arrays and objects nested in one another in `data` (`{ a: [1] }` is two). */
  maxDataDepth: MAX_DATA_DEPTH,
} as const);

/** Whether `text` takes at most `max` bytes as UTF-8; counts only when it might not (a UTF-16 unit is at most 3 bytes). */
export function fitsBytes(text: string, max: number): boolean {
  return text.length * 3 <= max || Buffer.byteLength(text, 'utf8') <= max;
}
