import type { Event } from '../event/event.js';
import type { PublishOptions } from '../transport/publish-options.js';
import type { PublishableEvent } from '../typing/catalog-event.js';

/**
 * What a handler gets beside its event: `(event, context) => ...`. One context
 * per handler run; it costs nothing until read (the `signal` is made on first
 * read, the `headers` copied on first read).
 *
 * @example
 * bus.handle('order.paid', async (event, { signal, attempt, publish }) => {
 *   await fetch(`https://billing.example/charge/${event.id}`, { method: 'POST', signal }); // stops when the bus gives up on it
 *   if (attempt > 1) console.log(`attempt ${attempt}`);
 *   await publish(createEvent({ domain: 'invoice', action: 'sent', data: {} })); // correlationId and causationId filled
 * });
 */
export interface HandlerContext<E extends Event<unknown> = Event> {
  /**
   * Aborted when the bus stops waiting for this handler: its `handlerTimeoutMs`
   * passed (reason: a `DeliveryError` `HANDLER_TIMEOUT`, the same error the
   * settlement reports), or `close({ timeoutMs })`'s deadline passed with the
   * handler still running (reason: a `ConnectionError` `CLOSED`; the delivery
   * goes back to the queue). Never aborted when the handler finishes on its own.
   * Pass it to `fetch`, database clients, `setTimeout` from `node:timers/promises`...
   * so that work the bus no longer waits for stops instead of running on unseen.
   */
  readonly signal: AbortSignal;
  /**
   * This delivery's attempt, 1-based: 1 on the first delivery, 2 on the first
   * retry (`retry` option), and so on. Read from the bus's own retry headers,
   * believed only on a message that came back from this queue's delay queue;
   * a broker redelivery (a crash before the ack) does not count as an attempt:
   * see {@link HandlerContext.redelivered}.
   */
  readonly attempt: number;
  /** The broker's `redelivered` flag: this message was delivered before and not acknowledged (a crash, a lost connection). */
  readonly redelivered: boolean;
  /**
   * The AMQP headers of the delivery, as the broker sent them (the bus's
   * `rx-pubsub-*`, the broker's `x-*`, and the publisher's own, see
   * `PublishOptions.headers`): a frozen copy, made on first read, so that no
   * handler can change what another handler, a retry or a dead letter sees.
   * `{}` when the message had none.
   */
  readonly headers: Readonly<Record<string, unknown>>;
  /**
   * `bus.publish(event, options)`, with the event tied to the one being
   * handled: `correlationId` = the handled event's `correlationId`, or its `id`
   * when it has none (it starts the chain), and `causationId` = the handled
   * event's `id`. A `correlationId` or `causationId` the given event already
   * has wins. Same checks, confirm and errors as `bus.publish`; on a catalog bus
   * it takes the catalog's events only.
   */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- as bus.publish: T keeps the caller's literal, so excess-property checks are those of bus.publish
  publish<T extends PublishableEvent<E>>(event: T, options?: PublishOptions): Promise<void>;
}
