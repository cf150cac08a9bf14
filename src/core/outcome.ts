import type { Event } from '../event/event.js';
import type { Delivery } from '../transport/transport.js';

/** One handler's failure, as a value: failures never stop sibling handlers. */
export interface HandlerFailure {
  readonly pattern: string;
  readonly error: unknown;
}

/**
 * What becomes of a delivery.
 *
 * | outcome       | when                                         | broker action              |
 * |---------------|----------------------------------------------|----------------------------|
 * | `ack`         | every matching handler succeeded             | ack                        |
 * | `unhandled`   | no handler matches the routing key           | ack                        |
 * | `dead-letter` | a handler failed, or the body is not an event | copy to `Q.dlq`, then ack  |
 */
export type Outcome =
  | { readonly kind: 'ack'; readonly handlers: number }
  | { readonly kind: 'unhandled' }
  | { readonly kind: 'dead-letter'; readonly reason: string; readonly failures: readonly HandlerFailure[] };

/** A delivery with its outcome; `event` is missing when the body was not an event. */
export interface Settlement {
  readonly delivery: Delivery;
  readonly event: Event | undefined;
  readonly outcome: Outcome;
}
