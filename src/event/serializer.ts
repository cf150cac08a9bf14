import { ConfigError, DeliveryError, ErrorCode, messageOf, show } from '../errors.js';
import { type Event, routingKeyOf, toEvent } from './event.js';

/** The AMQP `contentType` of an event's body: what the bus sends, and what `decodeEvent` accepts (or none). */
export const JSON_CONTENT_TYPE = 'application/json';

/** What the decoder needs to know about a message besides its body. */
export interface WireInfo {
  /**
   * The key it was routed with, which must be the event's `domain.action`;
   * `undefined` for a message sent straight to the queue (the default
   * exchange), whose key is the queue's name and says nothing of the event.
   */
  readonly routingKey: string | undefined;
  /** The AMQP `contentType`: absent, or {@link JSON_CONTENT_TYPE} (parameters such as `; charset=utf-8` allowed). */
  readonly contentType?: string | undefined;
  /** The AMQP `contentEncoding`: absent or UTF-8; anything else (`gzip`) is refused. */
  readonly contentEncoding?: string | undefined;
}

/**
 * On a body this process encoded for an in-process transport: its event. The
 * in-memory broker hands the very same Buffer to consumers, so decoding it is
 * a property read: serialization happens once. A symbol-keyed property rather
 * than a WeakMap: with a backlog of hundreds of thousands of messages, the
 * WeakMap's lookups and the garbage collector's ephemeron work cost more than
 * the rest of routing a delivery.
 */
const EVENT = Symbol('rx-pubsub event');

type EncodedBody = Buffer & { [EVENT]?: Event };

/**
 * The AMQP body of an event: the event as UTF-8 JSON.
 * @throws {ConfigError} `INVALID_DATA` when the event is too large to encode.
 */
export function encodeEvent(event: Event): Buffer {
  const json = eventJson(event);
  try {
    return Buffer.from(json, 'utf8');
  } catch (error) {
    return tooLarge(event, error);
  }
}

/**
 * The event as JSON text: the body a network transport sends (as UTF-8).
 * An event is JSON by construction, so stringifying can only fail on size
 * (past V8's longest string, about 512 MiB): that is a typed error here
 * rather than a RangeError out of the publish.
 *
 * @throws {ConfigError} `INVALID_DATA` when the event is too large to encode.
 */
export function eventJson(event: Event): string {
  try {
    return JSON.stringify(event);
  } catch (error) {
    return tooLarge(event, error);
  }
}

function tooLarge(event: Event, cause: unknown): never {
  throw new ConfigError(
    ErrorCode.INVALID_DATA,
    `event ${show(event.id)} (${routingKeyOf(event)}) is too large to encode as JSON (${messageOf(cause)}); send a reference to the data instead`,
    { cause },
  );
}

/**
 * `encodeEvent`, remembering the event for `decodeEvent`: for a transport that
 * delivers the Buffer it was given (memory://), never for a network one.
 */
export function encodeEventInProcess(event: Event): Buffer {
  const body: EncodedBody = encodeEvent(event);
  body[EVENT] = event;
  return body;
}

/**
 * Turns a delivery body back into an event, or throws a DeliveryError
 * (`BAD_MESSAGE`) whose message is the reason put in the dead-letter headers.
 * A message without a content type is accepted when its body is an event.
 * The body must be UTF-8 (strictly: a malformed byte sequence is refused, not
 * replaced) without a byte order mark, and not otherwise encoded.
 *
 * @throws {DeliveryError} `BAD_MESSAGE` for another content type or encoding,
 *   a body that is not UTF-8 JSON or not a valid event, or an event whose
 *   `domain.action` is not the routing key it arrived with.
 * @example
 * const event = decodeEvent(delivery.body, { routingKey: delivery.routingKey, contentType: delivery.properties.contentType });
 */
export function decodeEvent(body: Buffer, info: WireInfo): Event {
  try {
    return decode(body, info);
  } catch (error) {
    // A transport hands over Buffers and strings; anything odd it passed on is still bad input, not a crash.
    if (error instanceof DeliveryError) throw error;
    badMessage(`message cannot be read (${messageOf(error)})`, error);
  }
}

function decode(body: Buffer, info: WireInfo): Event {
  if (info.contentType !== JSON_CONTENT_TYPE && !isJsonContentType(info.contentType)) {
    badMessage(`content type ${show(info.contentType)} is not ${JSON_CONTENT_TYPE}`);
  }
  if (info.contentEncoding !== undefined && info.contentEncoding !== 'utf-8' && !isUtf8Encoding(info.contentEncoding)) {
    badMessage(
      `content encoding ${show(info.contentEncoding)} is not supported: send the event as plain UTF-8 JSON (contentEncoding absent or "utf-8")`,
    );
  }
  if (!(body instanceof Uint8Array)) badMessage(`body is not bytes (got ${show(body)})`);
  const event = (body as EncodedBody)[EVENT] ?? parse(body);
  const key = routingKeyOf(event);
  if (info.routingKey !== undefined && key !== info.routingKey)
    badMessage(`event ${key} arrived with routing key ${show(info.routingKey)}`);
  return event;
}

// Absent, or JSON with parameters or odd casing; the exact common value is checked before, without allocating.
function isJsonContentType(contentType: unknown): boolean {
  if (contentType === undefined) return true;
  if (typeof contentType !== 'string') return false;
  const type = contentType.split(';')[0]?.trim().toLowerCase();
  return !type || type === JSON_CONTENT_TYPE;
}

function isUtf8Encoding(encoding: unknown): boolean {
  if (typeof encoding !== 'string') return false;
  const name = encoding.trim().toLowerCase();
  return name === '' || name === 'utf-8' || name === 'utf8';
}

/** Strict: malformed UTF-8 throws rather than becoming U+FFFD. Kept whole: a BOM stays in the text (and is refused before). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function parse(body: Buffer): Event {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf)
    badMessage('body starts with a byte order mark, which JSON sent over a network must not have (RFC 8259)');
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch (error) {
    badMessage('body is not valid UTF-8', error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    badMessage(`body is not JSON (${messageOf(error)})`, error);
  }
  try {
    return toEvent(parsed, true);
  } catch (error) {
    badMessage(`body is not an event: ${messageOf(error)}`, error);
  }
}

/** Throws the DeliveryError (`BAD_MESSAGE`) of a delivery that is not a valid event; `reason` goes to the dead-letter headers. */
export function badMessage(reason: string, cause?: unknown): never {
  throw new DeliveryError(ErrorCode.BAD_MESSAGE, reason, { cause });
}
