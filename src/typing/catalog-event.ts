import type { AnyEventDefinition, EventOf } from '../event/define-event.js';
import type { Event } from '../event/event.js';

/**
 * The union of the event types of a catalog (`typeof events`), or the plain
 * `Event` for a bus without one (an empty or untyped list).
 *
 * @example
 * const events = [OrderCreated, OrderPaid] as const;
 * type AppEvent = CatalogEvent<typeof events>;
 * //   ^? Event<{ order_id: string }, 'order', 'created'> | Event<{ order_id: string; amount: number }, 'order', 'paid'>
 */
export type CatalogEvent<TEvents extends readonly AnyEventDefinition[]> = [TEvents[number]] extends [never]
  ? Event
  : EventOf<TEvents[number]>;

/**
 * What `publish` takes on a bus of `E`: the catalog's events, or any event
 * (of any data) on a bus whose event type is not a closed union.
 */
export type PublishableEvent<E extends Event<unknown>> = E | (string extends E['domain'] | E['action'] ? Event<unknown> : never);
