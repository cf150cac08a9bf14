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

export function bufferFullError(maxPending: number): PublishError {
  return new PublishError(
    ErrorCode.PUBLISH_BUFFER_FULL,
    `${maxPending} publishes already wait for the broker (disconnected or blocked): retry later, or raise maxPendingPublishes`,
    { retriable: true },
  );
}
