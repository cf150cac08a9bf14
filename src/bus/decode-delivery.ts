import type { EventCatalog } from '../event/catalog.js';
import type { Event } from '../event/event.js';
import { decodeEvent } from '../event/serializer.js';
import type { Delivery } from '../transport/transport.js';

/** What decoding reads of a message: a delivery, or a record of the history. */
export type DecodableMessage = Pick<Delivery, 'body' | 'exchange' | 'routingKey' | 'properties'>;

/**
 * A delivery's event, or a `BAD_MESSAGE` DeliveryError. Through an exchange,
 * the routing key must be the event's `domain.action` (the broker's topic
 * permissions checked that key). Through the default exchange (a return from
 * our delay queues, a replay from `Q.dlq`) it is the queue's name, so the
 * event's own `domain.action` stands. No header ever chooses the key.
 */
export function decodeDelivery(delivery: DecodableMessage): Event {
  const { body, exchange, routingKey, properties } = delivery;
  return decodeEvent(body, {
    routingKey: exchange === '' ? undefined : routingKey,
    contentType: properties.contentType,
    contentEncoding: properties.contentEncoding,
  });
}

/** The decoder of a bus (or of routeMarbles): {@link decodeDelivery}, then the catalog's check and upcast when there is one. */
export function deliveryDecoder(catalog: EventCatalog | undefined): (delivery: DecodableMessage) => Event {
  return catalog ? (delivery) => catalog.checkIncoming(decodeDelivery(delivery)) : decodeDelivery;
}
