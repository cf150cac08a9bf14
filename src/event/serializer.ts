import { DeliveryError, ErrorCode, messageOf } from '../errors.js';
import type { MessageProperties } from '../transport/transport.js';
import { type Event, routingKeyOf, toEvent } from './event.js';

export const JSON_CONTENT_TYPE = 'application/json';

/** What the decoder needs to know about a message besides its body. */
export interface WireInfo {
  readonly routingKey: string;
  readonly contentType?: string | undefined;
}

/**
 * The AMQP properties of an event: JSON, persistent, `messageId` = event id,
 * `type` = routing key, `timestamp` in seconds (AMQP's unit).
 */
export function wirePropertiesOf(event: Event, appId?: string): MessageProperties {
  return {
    contentType: JSON_CONTENT_TYPE,
    contentEncoding: 'utf-8',
    deliveryMode: 2,
    messageId: event.id,
    type: routingKeyOf(event),
    timestamp: Math.floor(Date.parse(event.timestamp) / 1000),
    correlationId: event.correlationId,
    appId,
  };
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

/** The AMQP body of an event: the event as UTF-8 JSON. */
export function encodeEvent(event: Event): Buffer {
  return Buffer.from(eventJson(event), 'utf8');
}

/** The event as JSON text: the body a network transport sends (as UTF-8). */
export function eventJson(event: Event): string {
  return JSON.stringify(event);
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
 */
export function decodeEvent(body: Buffer, info: WireInfo): Event {
  if (info.contentType !== JSON_CONTENT_TYPE && !isJsonContentType(info.contentType)) {
    bad(`content type "${info.contentType}" is not ${JSON_CONTENT_TYPE}`);
  }
  const event = (body as EncodedBody)[EVENT] ?? parse(body);
  const key = routingKeyOf(event);
  if (key !== info.routingKey) bad(`event ${key} arrived with routing key "${info.routingKey}"`);
  return event;
}

// Absent, or JSON with parameters or odd casing; the exact common value is checked before, without allocating.
function isJsonContentType(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return !type || type === JSON_CONTENT_TYPE;
}

function parse(body: Buffer): Event {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    bad(`body is not JSON (${messageOf(error)})`, error);
  }
  try {
    return toEvent(parsed, true);
  } catch (error) {
    bad(`body is not an event: ${messageOf(error)}`, error);
  }
}

function bad(reason: string, cause?: unknown): never {
  throw new DeliveryError(ErrorCode.BAD_MESSAGE, reason, { cause });
}
