import { retryOf } from '../bus/dead-letter.js';
import type { Outcome } from '../core/outcome.js';
import { ensureEvent, type Event, routingKeyOf } from '../event/event.js';
import { encodeEvent } from '../event/serializer.js';
import { wirePropertiesOf } from '../transport/wire-properties.js';
import type { Delivery, MessageProperties } from '../transport/transport.js';

/** The service queue of marble tests: fake deliveries come back to it after a retry delay. */
export const MARBLES_QUEUE = 'marbles';

/**
 * A delivery of `event` exactly as the bus publishes it (JSON body, wire
 * properties, routing key `domain.action`), on no broker: settling it does nothing.
 *
 * @throws {ConfigError} what `publish` would throw for it (`INVALID_EVENT`, `INVALID_DATA`).
 */
export function fakeDelivery(value: Event<unknown>): Delivery {
  const event = ensureEvent(value);
  return settleable({
    exchange: 'events',
    routingKey: routingKeyOf(event),
    body: encodeEvent(event),
    properties: wirePropertiesOf(event),
    redelivered: false,
  });
}

/**
 * The delivery a retry brings back once its delay passed: the copy the bus
 * publishes to `Q.retry.<ms>` (headers with the attempt, the reason and the
 * handlers still to run), dead-lettered back to `Q` by the broker.
 */
export function retriedDelivery(delivery: Delivery, outcome: Extract<Outcome, { kind: 'retry' }>): Delivery {
  const retryQueue = `${MARBLES_QUEUE}.retry.${outcome.delayMs}`;
  const copy = retryOf(delivery, retryQueue, outcome, outcome.pending, 1);
  // The broker's record of the expiry: without it the bus ignores the retry headers, as it does for any other publisher's.
  const xDeath = [{ count: 1, reason: 'expired', queue: retryQueue, exchange: '', 'routing-keys': [retryQueue] }];
  const properties = { ...copy.properties, headers: { ...copy.properties.headers, 'x-death': xDeath } };
  return settleable({ exchange: '', routingKey: MARBLES_QUEUE, body: copy.body, properties, redelivered: false });
}

function settleable(fields: {
  exchange: string;
  routingKey: string;
  body: Buffer;
  properties: MessageProperties;
  redelivered: boolean;
}): Delivery {
  return { ...fields, stale: false, ack: () => true, nack: () => true };
}
