import type { HeldPublish } from '../publish-buffer.js';

/** What a basic.return says of the message it gives back. */
export interface ReturnedMessage {
  readonly exchange: string;
  readonly routingKey: string;
  /** Its `messageId` property, when it had one (every event does: its id). */
  readonly messageId: string | undefined;
}

/**
 * The unconfirmed publish a basic.return is about. AMQP's return carries no
 * delivery tag: it names the exchange and routing key and gives the message
 * back. The broker returns a channel's publishes in the order sent, each
 * before its confirm, so it is the first mandatory one in flight on that
 * channel, not returned yet, with that exchange and key, and, when the
 * message has a `messageId`, that id: without it, the return of a publish
 * that already left the flight (timed out) would be pinned on a later one
 * with the same key, which then reports PUBLISH_UNROUTABLE though it was routed.
 */
export function returnedPublish<S>(inFlight: Iterable<HeldPublish<S>>, channel: S, returned: ReturnedMessage): HeldPublish<S> | undefined {
  for (const pending of inFlight) {
    const sent = pending.message;
    if (
      pending.sentOn === channel &&
      !pending.returned &&
      sent.mandatory === true &&
      sent.exchange === returned.exchange &&
      sent.routingKey === returned.routingKey &&
      (returned.messageId === undefined || sent.properties.messageId === returned.messageId)
    ) {
      return pending;
    }
  }
  return undefined;
}
