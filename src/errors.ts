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
  /** The broker refused a publish (missing exchange, access refused, nack), or it cannot be sent at all (over `maxMessageBytes` or AMQP's limits), refused before sending. */
  PUBLISH_REFUSED: 'PUBLISH_REFUSED',
  /** No confirm arrived within `publishTimeoutMs`. */
  PUBLISH_TIMEOUT: 'PUBLISH_TIMEOUT',
  /** `maxPendingPublishes` publishes are already unsettled: waiting to be sent (the connection is down or blocked) or for their confirm. */
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
  /**
   * Reading a dead-letter queue without removing its messages would count as
   * deliveries there (a quorum queue), which can lose them: refused.
   */
  UNSAFE_READ: 'UNSAFE_READ',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The options of an {@link RxPubsubError}'s constructor. */
export interface RxPubsubErrorOptions {
  /** The underlying error (an amqplib error, a handler's throw), kept as the standard `Error.cause`. */
  readonly cause?: unknown;
  /** Whether the same call may succeed later without changes. */
  readonly retriable?: boolean;
}

/**
 * The base class of every error rx-pubsub throws. Catch it by subclass (how
 * to recover) and tell cases apart by `code`, or use {@link isRxPubsubError}.
 *
 * @example
 * try {
 *   await bus.publish(event);
 * } catch (error) {
 *   if (isRxPubsubError(error, ErrorCode.PUBLISH_BUFFER_FULL)) await backOff();
 *   else throw error;
 * }
 */
export class RxPubsubError extends Error {
  /** The class's name (`'ConfigError'`, `'PublishError'`...), shown by `console.error` and in stack traces. */
  override readonly name: string = 'RxPubsubError';
  /** What happened exactly: one of {@link ErrorCode}, stable across releases (match on it, not on the message). */
  readonly code: ErrorCode;
  /** Whether the same call may succeed later without changes (a timeout, a full buffer); `false` unless said otherwise. */
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

/** The longest description {@link show} gives of a value, in characters; longer ones end in `…`. */
export const MAX_SHOWN = 500;

/**
 * A short rendering of any value for an error message. It never throws:
 * values reach it from handlers and from the wire, and a description that
 * throws (a BigInt, a cycle, a revoked Proxy, a throwing `toJSON` or
 * `toString`) would turn a reported failure into an uncaught one.
 */
export function show(value: unknown): string {
  try {
    return bounded(render(value));
  } catch {
    return 'a value that cannot be described';
  }
}

function render(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return value.toString();
    case 'function':
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- `name` can be redefined to a non-string (a Symbol would throw in the template)
      return `a function ${attempt(() => String(value.name)) ?? ''}`.trimEnd();
    case 'object':
      if (value === null) return 'null';
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- last resort after JSON.stringify failed: an object with its own toString() says what it is
      return attempt(() => JSON.stringify(value)) ?? attempt(() => String(value)) ?? 'an object that cannot be described';
    default:
      return String(value);
  }
}

/** What `read` returns as a string, or undefined when it throws or gives no string. */
function attempt(read: () => unknown): string | undefined {
  try {
    const result = read();
    return typeof result === 'string' ? result : undefined;
  } catch {
    return undefined;
  }
}

function bounded(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/**
 * Whether `value` is an Error. Never throws: `instanceof` on a revoked Proxy
 * does (it asks for the prototype).
 */
export function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/**
 * The message of anything thrown, for logs and reason headers; never throws.
 * An Error whose `message` cannot be read (a throwing getter) is described by
 * its name instead.
 */
export function messageOf(error: unknown): string {
  if (typeof error === 'string') return error;
  if (typeof error === 'bigint') return String(error);
  if (!isError(error)) return show(error);
  const message = attempt(() => error.message);
  if (message !== undefined) return message;
  return `${attempt(() => error.name) ?? 'an Error'} whose message cannot be read`;
}
