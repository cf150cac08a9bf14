import { ErrorCode, PublishError } from '../errors.js';
import type { OutboundMessage } from './transport.js';

/** The errors a publish rejects with, worded the same on every transport. */

export function refusedError(message: OutboundMessage, reason: string, retriable = true): PublishError {
  return new PublishError(
    ErrorCode.PUBLISH_REFUSED,
    `The broker refused the publish of "${message.routingKey}" to exchange "${message.exchange}": ${reason}`,
    { retriable },
  );
}

export function unroutableError(message: OutboundMessage): PublishError {
  return new PublishError(
    ErrorCode.PUBLISH_UNROUTABLE,
    `No queue is bound to exchange "${message.exchange}" for "${message.routingKey}": bind a queue (start the consuming service) or publish without mandatory`,
  );
}

/** `why` says what kept the confirm away, and how to live with it. */
export function publishTimeoutError(message: OutboundMessage, why: string): PublishError {
  return new PublishError(ErrorCode.PUBLISH_TIMEOUT, `No confirm for "${message.routingKey}" within ${message.timeoutMs} ms${why}`, {
    retriable: true,
  });
}

/** A message that cannot go out as it is (see message-limits.ts): sending it again cannot help. */
export function unsendableError(message: OutboundMessage, reason: string, cause?: unknown): PublishError {
  return new PublishError(
    ErrorCode.PUBLISH_REFUSED,
    `The publish of "${message.routingKey.slice(0, 100)}" to exchange "${message.exchange.slice(0, 100)}" cannot be sent: ${reason}`,
    { retriable: false, cause },
  );
}

/**
 * Unconfirmed publishes count with the waiting ones (on a stalled connection they pile up
 * just the same), so a healthy bus that fires publishes without awaiting them meets it too.
 */
export function bufferFullError(maxPending: number): PublishError {
  return new PublishError(
    ErrorCode.PUBLISH_BUFFER_FULL,
    `${maxPending} publishes are already waiting to be sent or confirmed (maxPendingPublishes): await publishes before sending more, ` +
      'raise maxPendingPublishes, or retry later if the broker is disconnected or blocked',
    { retriable: true },
  );
}
