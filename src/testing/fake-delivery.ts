import { retryOf } from '../bus/dead-letter.js';
import type { Outcome } from '../core/outcome.js';
import { ensureEvent, type Event, routingKeyOf } from '../event/event.js';
import { encodeEvent, wirePropertiesOf } from '../event/serializer.js';
import type { Delivery, MessageProperties } from '../transport/transport.js';

/** The queue name fake deliveries come back to after a retry delay. */
const QUEUE = 'marbles';

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
    properties: wirePropertiesOf(event, 'rx-pubsub/testing'),
    redelivered: false,
  });
}

/**
 * The delivery a retry brings back once its delay passed: the copy the bus
 * publishes to `Q.retry.<ms>` (headers with the attempt, the reason and the
 * handlers still to run), dead-lettered back to `Q` by the broker.
 */
export function retriedDelivery(delivery: Delivery, outcome: Extract<Outcome, { kind: 'retry' }>): Delivery {
  const copy = retryOf(delivery, `${QUEUE}.retry.${outcome.delayMs}`, outcome, outcome.pending, 1);
  return settleable({ exchange: '', routingKey: QUEUE, body: copy.body, properties: copy.properties, redelivered: false });
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
