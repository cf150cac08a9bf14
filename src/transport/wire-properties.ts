import type { Event } from '../event/event.js';
import { routingKeyOf } from '../event/event.js';
import { JSON_CONTENT_TYPE } from '../event/serializer.js';
import type { CheckedPublishOptions } from './publish-options.js';
import type { MessageProperties } from './transport.js';

/**
 * The AMQP properties of an event: JSON, persistent, `messageId` = event id,
 * `type` = routing key, `timestamp` in seconds (AMQP's unit); with the
 * caller's headers, expiration and priority when `publish` was given them.
 */
export function wirePropertiesOf(event: Event, appId?: string, options?: CheckedPublishOptions): MessageProperties {
  return {
    contentType: JSON_CONTENT_TYPE,
    contentEncoding: 'utf-8',
    deliveryMode: 2,
    messageId: event.id,
    type: routingKeyOf(event),
    timestamp: Math.floor(Date.parse(event.timestamp) / 1000),
    correlationId: event.correlationId,
    appId,
    headers: options?.headers,
    expiration: options?.expiration,
    priority: options?.priority,
  };
}
