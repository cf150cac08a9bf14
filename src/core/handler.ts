import type { ObservableInput } from 'rxjs';
import type { HandlerContext } from './handler-context.js';
import type { RetryPolicy } from './retry-policy.js';
import type { Event } from '../event/event.js';

/**
 * What a handler may return: nothing (sync success), a Promise, or an
 * Observable (of this or another rxjs copy). It succeeds when that completes,
 * and fails when it throws, rejects or errors.
 */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- a handler may return nothing: `void` lets a `(e) => { ... }` with no return be a Handler
export type HandlerResult = void | undefined | PromiseLike<unknown> | ObservableInput<unknown>;

/**
 * A function handler: the event, and its {@link HandlerContext} (which
 * `BusEvent`, the bus's event union, types: `context.publish` takes those).
 */
export type HandlerFn<E extends Event<unknown> = Event, BusEvent extends Event<unknown> = Event> = (
  event: E,
  context: HandlerContext<BusEvent>,
) => HandlerResult;

/**
 * An object handler: a class instance whose `handle` method the bus calls as
 * `handler.handle(event, context)` (so `this` is the object), for a handler
 * that holds its own dependencies.
 *
 * @example
 * class SendReceipt implements HandlerObject<OrderPlaced> {
 *   constructor(private readonly mailer: Mailer) {}
 *   handle(event: OrderPlaced) {
 *     return this.mailer.send(event.data.email);
 *   }
 * }
 * bus.handle('order.placed', new SendReceipt(mailer));
 */
export interface HandlerObject<E extends Event<unknown> = Event, BusEvent extends Event<unknown> = Event> {
  /** Handles one event; what it returns decides success or failure, as for a {@link HandlerFn}. */
  handle(event: E, context: HandlerContext<BusEvent>): HandlerResult;
}

/** Anything `bus.handle` accepts. */
export type Handler<E extends Event<unknown> = Event, BusEvent extends Event<unknown> = Event> =
  HandlerFn<E, BusEvent> | HandlerObject<E, BusEvent>;

/** A handler as registered: with its own retry policy, if it has one. */
export interface RegisteredHandler {
  /** The function or object given to `bus.handle`. */
  readonly handler: Handler;
  /** Overrides the bus's `retry` for this handler. */
  readonly retry?: RetryPolicy | undefined;
}
