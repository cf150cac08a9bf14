import type { Event } from '../event/event.js';
import type { Delivery } from '../transport/transport.js';

/** One handler's failure, as a value: failures never stop sibling handlers. */
export interface HandlerFailure {
  /** The handler's pattern; `''` when the delivery itself was bad (no handler ran). */
  readonly pattern: string;
  /** What the handler threw, rejected or errored with (a `DeliveryError` `HANDLER_TIMEOUT` when it timed out). */
  readonly error: unknown;
}

/** Failures with their joined, shortened reason. */
export interface Failed {
  /** This attempt's number, 1 for the first delivery. */
  readonly attempt: number;
  /** The failures as `pattern: message`, joined with `; `, credentials redacted, cut to fit a header: the copy's `rx-pubsub-error`. */
  readonly reason: string;
  /** Each failed handler with its error, in registration order. */
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
 * | `dead-letter` | a handler failed for good, the body is not an event, or the message was redelivered more than `maxRedeliveries` | copy to `Q.dlq`, then ack |
 *
 * A `retry` may carry a `deadLetter` part: handlers out of attempts go to
 * `Q.dlq` while the others are retried.
 */
export type Outcome =
  | {
      /** Every matching handler succeeded: acked. */
      readonly kind: 'ack';
      /** How many handlers ran on it. */
      readonly handlers: number;
    }
  | {
      /** No handler matches the routing key: acked. */
      readonly kind: 'unhandled';
    }
  | ({
      /** A handler failed with attempts left: copied to a delay queue, then acked. */
      readonly kind: 'retry';
      /** The delay before the next attempt (the delay queue `Q.retry.<ms>` it waits in). */
      readonly delayMs: number;
      /** Ids of the handlers to run again (the failed ones with attempts left). */
      readonly pending: readonly string[];
      /** The handlers out of attempts, whose failure goes to `Q.dlq` meanwhile; `undefined` when none. */
      readonly deadLetter: Failed | undefined;
    } & Failed)
  | ({
      /** Failed for good: copied to `Q.dlq`, then acked. */
      readonly kind: 'dead-letter';
    } & Failed);

/** How one handler's run on a delivery went, for metrics and slow-handler logs. */
export interface HandlerTiming {
  /** The handler's pattern, as given to `bus.handle`. */
  readonly pattern: string;
  /**
   * From the call until it finished: returned (a synchronous handler), its
   * Promise settled or its Observable ended, or its timeout passed. In
   * milliseconds (`performance.now()`, fractional); in the scheduler's time
   * units on a bus or `routeMarbles` with a `scheduler`.
   */
  readonly durationMs: number;
  /** Whether it threw, rejected, errored or timed out. */
  readonly failed: boolean;
}

/**
 * A delivery with its outcome; `event` is missing when the body was not an
 * event. `E` is the bus's event type: the catalog's union on a catalog bus.
 */
export interface Settlement<E extends Event<unknown> = Event> {
  /** The message as the broker delivered it. */
  readonly delivery: Delivery;
  /** The decoded event; `undefined` when the body was not an event. */
  readonly event: E | undefined;
  /** What became of it (see {@link Outcome}). */
  readonly outcome: Outcome;
  /**
   * Every handler that ran on this delivery, in registration order (on a
   * retry, only those retried); empty when none ran (`unhandled`, a bad
   * message, a poison message).
   */
  readonly handlers: readonly HandlerTiming[];
  /**
   * Whether the outcome's broker action was sent: false when the ack was
   * dropped (the delivery's channel had died: the broker redelivers it) or a
   * copy to `Q.dlq` / a delay queue failed (the delivery was rejected to the
   * broker instead, which dead-letters it).
   */
  readonly sent: boolean;
}
