import type { Event } from '../event/event.js';
import { decodeEvent, type WireInfo } from '../event/serializer.js';
import type { Delivery } from '../transport/transport.js';

/**
 * A delivery's event, or a `BAD_MESSAGE` DeliveryError. Through an exchange,
 * the routing key must be the event's `domain.action` (the broker's topic
 * permissions checked that key). Through the default exchange (a return from
 * our delay queues, a replay from `Q.dlq`) it is the queue's name, so the
 * event's own `domain.action` stands. No header ever chooses the key.
 */
export function decodeDelivery(delivery: Delivery): Event {
  const { body, exchange, routingKey, properties } = delivery;
  // A variable, not a literal: `contentEncoding` joins WireInfo with the serializer's BAD_MESSAGE check for gzip/non-UTF-8 bodies.
  const info: WireInfo & { readonly contentEncoding?: string | undefined } = {
    routingKey: exchange === '' ? (ownRoutingKeyOf(body) ?? routingKey) : routingKey,
    contentType: properties.contentType,
    contentEncoding: properties.contentEncoding,
  };
  return decodeEvent(body, info);
}

// Only on the rare default-exchange path: the body is parsed again by decodeEvent, which checks all of it.
function ownRoutingKeyOf(body: Buffer): string | undefined {
  try {
    const { domain, action } = JSON.parse(body.toString('utf8')) as { domain?: unknown; action?: unknown };
    return typeof domain === 'string' && typeof action === 'string' ? `${domain}.${action}` : undefined;
  } catch {
    return undefined;
  }
}
