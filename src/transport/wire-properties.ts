import type { Event } from '../event/event.js';
import { routingKeyOf } from '../event/event.js';
import { JSON_CONTENT_TYPE } from '../event/serializer.js';
import type { CheckedPublishOptions } from './publish-options.js';
import type { MessageProperties } from './transport.js';

/**
 * The AMQP properties a bus adds to every message beyond the contract's, when
 * asked to (the `appId` and `contentEncoding` options): none by default,
 * since they say nothing the body, its content type or the connection does
 * not, and the broker's CPU per message grows with the property block.
 */
export interface WireSettings {
  readonly appId?: string | undefined;
  readonly contentEncoding?: 'utf-8' | undefined;
}

/** No opt-in property: the default wire format. */
const CONTRACT_ONLY: WireSettings = Object.freeze({});

/**
 * The AMQP properties of an event: JSON, persistent, `messageId` = event id,
 * `type` = routing key, `timestamp` in seconds (AMQP's unit), `correlationId`
 * when it has one; `appId` and `contentEncoding` only when the bus was given
 * them; with the caller's
 * headers, expiration and priority when `publish` was given them. A property
 * left undefined is not sent.
 */
export function wirePropertiesOf(event: Event, wire: WireSettings = CONTRACT_ONLY, options?: CheckedPublishOptions): MessageProperties {
  return {
    contentType: JSON_CONTENT_TYPE,
    contentEncoding: wire.contentEncoding,
    deliveryMode: 2,
    messageId: event.id,
    type: routingKeyOf(event),
    timestamp: amqpSeconds(event.timestamp),
    correlationId: event.correlationId,
    appId: wire.appId,
    headers: options?.headers,
    expiration: options?.expiration,
    priority: options?.priority,
  };
}

let lastIso = '';
let lastSeconds = 0;

/**
 * An event's ISO-8601 timestamp in AMQP's unit, whole seconds. The last one is remembered: events published
 * together mostly share their timestamp string (createEvent reuses it within a millisecond), and Date.parse
 * costs about as much as the rest of the properties.
 */
function amqpSeconds(iso: string): number {
  if (iso !== lastIso) {
    lastSeconds = Math.floor(Date.parse(iso) / 1000);
    lastIso = iso;
  }
  return lastSeconds;
}
