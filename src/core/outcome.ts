import type { Event } from '../event/event.js';
import type { Delivery } from '../transport/transport.js';

/** One handler's failure, as a value: failures never stop sibling handlers. */
export interface HandlerFailure {
  /** The handler's pattern; `''` when the delivery itself was bad (no handler ran). */
  readonly pattern: string;
  readonly error: unknown;
}

/** Failures with their joined, shortened reason. */
export interface Failed {
  /** This attempt's number, 1 for the first delivery. */
  readonly attempt: number;
  readonly reason: string;
  readonly failures: readonly HandlerFailure[];
}

/**
 * What becomes of a delivery.
 *
 * | outcome       | when                                                     | broker action                        |
 * |---------------|----------------------------------------------------------|--------------------------------------|
 * | `ack`         | every matching handler succeeded                         | ack                                  |
 * | `unhandled`   | no handler matches the routing key                       | ack                                  |
 * | `retry`       | a handler failed and its retry policy has attempts left  | copy to `Q.retry.<ms>`, then ack     |
 * | `dead-letter` | a handler failed for good, the body is not an event, or  | copy to `Q.dlq`, then ack            |
 * |               | the message was redelivered more than `maxRedeliveries`  |                                      |
 *
 * A `retry` may carry a `deadLetter` part: handlers out of attempts go to
 * `Q.dlq` while the others are retried.
 */
export type Outcome =
  | { readonly kind: 'ack'; readonly handlers: number }
  | { readonly kind: 'unhandled' }
  | ({
      readonly kind: 'retry';
      readonly delayMs: number;
      /** Ids of the handlers to run again (the failed ones with attempts left). */
      readonly pending: readonly string[];
      readonly deadLetter: Failed | undefined;
    } & Failed)
  | ({ readonly kind: 'dead-letter' } & Failed);

/** A delivery with its outcome; `event` is missing when the body was not an event. */
export interface Settlement {
  readonly delivery: Delivery;
  readonly event: Event | undefined;
  readonly outcome: Outcome;
  /**
   * Whether the outcome's broker action was sent: false when the ack was
   * dropped (the delivery's channel had died: the broker redelivers it) or a
   * copy to `Q.dlq` / a delay queue failed (the delivery was rejected to the
   * broker instead, which dead-letters it).
   */
  readonly sent: boolean;
}
