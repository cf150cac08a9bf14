import type { OutboundMessage } from './transport.js';

/** RabbitMQ's default `max_message_size` (3.8+): 128 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

/** AMQP short strings (exchange, routing key, most properties) hold at most 255 bytes. */
const SHORT_STRING_BYTES = 255;
/** amqplib encodes a header table in a buffer of this size, and throws past it. */
const HEADER_TABLE_BYTES = 65_536;
const SHORT_STRING_PROPERTIES = [
  'contentType',
  'contentEncoding',
  'messageId',
  'correlationId',
  'type',
  'appId',
  'userId',
  'expiration',
] as const;

/**
 * Why `message` cannot go out as one AMQP message, or `undefined` when it
 * can. Every transport asks this before sending, so that RabbitMQ and memory
 * refuse the same messages in the same words, and so that amqplib never throws
 * in the middle of a flush (a throw there used to stall every publish behind it).
 */
export function messageRefusal(message: OutboundMessage, maxMessageBytes: number): string | undefined {
  const size = bytesIfOver(message.body, maxMessageBytes);
  if (size !== undefined) {
    return `the body is ${size} bytes, over the limit of ${maxMessageBytes} (maxMessageBytes; RabbitMQ's max_message_size): split it or store it elsewhere and send a reference`;
  }
  return (
    shortStringRefusal('exchange', message.exchange) ??
    shortStringRefusal('routingKey', message.routingKey) ??
    propertiesRefusal(message.properties)
  );
}

function propertiesRefusal(properties: OutboundMessage['properties']): string | undefined {
  for (const name of SHORT_STRING_PROPERTIES) {
    const value = properties[name];
    if (value !== undefined) {
      const refusal = shortStringRefusal(name, value);
      if (refusal !== undefined) return refusal;
    }
  }
  const { timestamp, priority, headers } = properties;
  if (timestamp !== undefined && !(Number.isSafeInteger(timestamp) && timestamp >= 0)) {
    return `timestamp ${String(timestamp)} is not an AMQP timestamp (whole seconds since 1970, 0 or more)`;
  }
  if (priority !== undefined && !(Number.isInteger(priority) && priority >= 0 && priority <= 255)) {
    return `priority ${String(priority)} is not an AMQP priority (an integer from 0 to 255)`;
  }
  return headers === undefined ? undefined : headerTableRefusal(headers, 'headers');
}

/**
 * Why the header table cannot be sent (a value AMQP cannot carry, a key or the
 * whole table too large), naming the offending entry under `path`; `undefined`
 * when it can.
 */
export function headerTableRefusal(headers: object, path: string): string | undefined {
  const measured = measureTable(headers, path, 0);
  if (typeof measured === 'string') return measured;
  return measured > HEADER_TABLE_BYTES
    ? `the ${path} take ${measured} bytes encoded, over AMQP's (amqplib's) limit of ${HEADER_TABLE_BYTES}`
    : undefined;
}

function shortStringRefusal(name: string, value: unknown): string | undefined {
  if (typeof value !== 'string') return `${name} must be a string (got ${typeof value})`;
  const bytes = bytesIfOver(value, SHORT_STRING_BYTES);
  return bytes === undefined ? undefined : `${name} is ${bytes} bytes, over AMQP's short-string limit of ${SHORT_STRING_BYTES}`;
}

/**
 * The size of `value` in bytes (a string as UTF-8) when it is over `limit`,
 * else `undefined`. A UTF-16 code unit takes at most 3 bytes of UTF-8, so a
 * string of at most a third of the limit in length is not counted: this runs
 * for the body and every property of every publish.
 */
function bytesIfOver(value: string | Buffer, limit: number): number | undefined {
  if (typeof value !== 'string') return value.length > limit ? value.length : undefined;
  if (value.length * 3 <= limit) return undefined;
  const bytes = Buffer.byteLength(value, 'utf8');
  return bytes > limit ? bytes : undefined;
}

/** Nesting deeper than this is refused rather than walked (a cycle would never end). */
const MAX_DEPTH = 32;

/** The encoded size of a field table as amqplib writes it, or why it cannot be written. */
function measureTable(table: object, path: string, depth: number): number | string {
  if (depth > MAX_DEPTH) return `${path} nests deeper than ${MAX_DEPTH} levels (a cycle?)`;
  let size = 4;
  for (const [key, value] of Object.entries(table)) {
    if (value === undefined) continue; // amqplib leaves it out
    const keyBytes = Buffer.byteLength(key, 'utf8');
    if (keyBytes > SHORT_STRING_BYTES)
      return `${path} key "${key.slice(0, 40)}…" is ${keyBytes} bytes, over AMQP's limit of ${SHORT_STRING_BYTES}`;
    const measured = measureValue(value, `${path}.${key}`, depth);
    if (typeof measured === 'string') return measured;
    size += 1 + keyBytes + measured;
    if (size > HEADER_TABLE_BYTES) return size; // no need to walk on
  }
  return size;
}

// Tag byte + payload, as amqplib's codec encodes each JavaScript type.
function measureValue(value: unknown, path: string, depth: number): number | string {
  switch (typeof value) {
    case 'string':
      return 5 + Buffer.byteLength(value, 'utf8');
    case 'boolean':
      return 2;
    case 'number':
      // amqplib writes NaN and -Infinity as 64-bit integers, and throws; +Infinity it writes as a double, which
      // RabbitMQ cannot parse: it closes the whole connection (541 INTERNAL_ERROR), and the message would be sent again.
      return Number.isFinite(value) ? 1 + numberBytes(value) : nonFinite(path, value);
    case 'object':
      return measureObject(value, path, depth);
    default:
      return `${path} is a ${typeof value}, which AMQP headers cannot carry (use a string or number)`;
  }
}

function measureObject(value: object | null, path: string, depth: number): number | string {
  if (value === null) return 1;
  if (Buffer.isBuffer(value)) return 5 + value.length;
  if (Object.hasOwn(value, '!')) {
    // amqplib's typed-value escape: at most 8 bytes of payload. A non-finite double or float kills the connection, as above.
    const typed = (value as { readonly value?: unknown }).value;
    return typeof typed === 'number' && !Number.isFinite(typed) ? nonFinite(path, typed) : 9;
  }
  if (!Array.isArray(value)) {
    const table = measureTable(value, path, depth + 1);
    return typeof table === 'string' ? table : 1 + table;
  }
  if (depth + 1 > MAX_DEPTH) return `${path} nests deeper than ${MAX_DEPTH} levels (a cycle?)`;
  let size = 5;
  for (const [index, item] of value.entries()) {
    const measured = measureValue(item, `${path}[${index}]`, depth + 1);
    if (typeof measured === 'string') return measured;
    size += measured;
  }
  return size;
}

function nonFinite(path: string, value: number): string {
  return `${path} is ${String(value)}, which AMQP headers cannot carry`;
}

function numberBytes(n: number): number {
  const floating = n >= 2 ** 63 || (Math.abs(n) < 2 ** 50 && Math.floor(n) !== n);
  if (floating) return 8;
  if (n >= -128 && n < 128) return 1;
  if (n >= -0x8000 && n < 0x8000) return 2;
  return n >= -0x80000000 && n < 0x80000000 ? 4 : 8;
}
