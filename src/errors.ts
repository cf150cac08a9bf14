/**
 * Every error rx-pubsub throws or rejects with is an {@link RxPubsubError}.
 * The subclass says how a caller recovers; `code` says exactly what happened.
 *
 * | class             | recover by                                    |
 * |-------------------|-----------------------------------------------|
 * | `ConfigError`     | fixing the call or the options (never retry)  |
 * | `ConnectionError` | waiting, checking the broker, retrying        |
 * | `PublishError`    | retrying the publish (see `retriable`)        |
 * | `DeliveryError`   | nothing: the delivery went to the dead letters |
 */
export const ErrorCode = {
  /** An argument of a public function is wrong. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** An option of `EventBus.connect` (or a building block) is wrong. */
  INVALID_OPTIONS: 'INVALID_OPTIONS',
  /** An event's fields break the Event rules. */
  INVALID_EVENT: 'INVALID_EVENT',
  /** An event's `data` is not plain JSON. */
  INVALID_DATA: 'INVALID_DATA',
  /** A routing pattern is not a usable glob. */
  INVALID_PATTERN: 'INVALID_PATTERN',
  /** The broker could not be reached in time or refused the login. */
  CONNECTION_FAILED: 'CONNECTION_FAILED',
  /** Declaring the exchange, queues or bindings failed. */
  TOPOLOGY_FAILED: 'TOPOLOGY_FAILED',
  /** The bus (or transport) is closed. */
  CLOSED: 'CLOSED',
  /** The broker refused a publish (missing exchange, access refused, nack). */
  PUBLISH_REFUSED: 'PUBLISH_REFUSED',
  /** No confirm arrived within `publishTimeoutMs`. */
  PUBLISH_TIMEOUT: 'PUBLISH_TIMEOUT',
  /** `maxPendingPublishes` publishes already wait for the connection. */
  PUBLISH_BUFFER_FULL: 'PUBLISH_BUFFER_FULL',
  /** A `mandatory` publish reached no queue. */
  PUBLISH_UNROUTABLE: 'PUBLISH_UNROUTABLE',
  /** A delivery's body is not an rx-pubsub event. */
  BAD_MESSAGE: 'BAD_MESSAGE',
  /** A handler threw, rejected or errored with something that is not an Error (the value is the `cause`). */
  HANDLER_FAILED: 'HANDLER_FAILED',
  /** A handler was still running after `handlerTimeoutMs`. */
  HANDLER_TIMEOUT: 'HANDLER_TIMEOUT',
  /** A message was redelivered more than `maxRedeliveries` times. */
  POISON_MESSAGE: 'POISON_MESSAGE',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface RxPubsubErrorOptions {
  readonly cause?: unknown;
  /** Whether the same call may succeed later without changes. */
  readonly retriable?: boolean;
}

/** The base class of every error rx-pubsub throws. */
export class RxPubsubError extends Error {
  override readonly name: string = 'RxPubsubError';
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: RxPubsubErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** Wrong arguments or options: fix the call; retrying cannot help. */
export class ConfigError extends RxPubsubError {
  override readonly name: string = 'ConfigError';
}

/** The broker is unreachable, refused the login, or the bus is closed. */
export class ConnectionError extends RxPubsubError {
  override readonly name: string = 'ConnectionError';
}

/** A publish was refused by the broker or was not confirmed in time. */
export class PublishError extends RxPubsubError {
  override readonly name: string = 'PublishError';
}

/** A delivery could not be decoded or its handlers failed. */
export class DeliveryError extends RxPubsubError {
  override readonly name: string = 'DeliveryError';
}

/** Type guard for errors thrown by rx-pubsub, optionally of one code. */
export function isRxPubsubError(value: unknown, code?: ErrorCode): value is RxPubsubError {
  return value instanceof RxPubsubError && (code === undefined || value.code === code);
}

/** A short rendering of any value for an error message; never throws (BigInt, cycles). */
export function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The message of anything thrown, for logs and reason headers. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
