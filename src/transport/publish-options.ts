import { ConfigError, ErrorCode, isRxPubsubError, messageOf } from '../errors.js';
import { headerTableRefusal } from './message-limits.js';

/** A value an AMQP header can carry, and that arrives as the same JavaScript value on RabbitMQ and memory://. */
export type HeaderValue = string | number | boolean | null | readonly HeaderValue[] | { readonly [key: string]: HeaderValue };

/**
 * The per-message AMQP settings of `bus.publish(event, options)` (and of a
 * handler's `context.publish`). Checked at the call: a bad one rejects with a
 * `ConfigError` naming it, before anything is sent.
 *
 * @example
 * await bus.publish(event, { headers: { tenant: 'acme' }, expiration: 60_000, priority: 5 });
 */
export interface PublishOptions {
  /**
   * Headers of your own, delivered to every consumer (`context.headers`,
   * and kept on copies in `Q.dlq`). Names starting with `rx-pubsub-` are the
   * bus's and `x-` the broker's (`x-death`, `x-delivery-count`, a plugin's
   * `x-delay`): both are refused, since a forged one would change how the
   * message is retried or counted. Any other name is yours, W3C trace
   * context's `traceparent`, `tracestate` and `baggage` included. Values: see
   * {@link HeaderValue}; `undefined` values are left out; at most 64 KiB encoded.
   */
  readonly headers?: Readonly<Record<string, HeaderValue | undefined>>;
  /**
   * Per-message TTL in ms (0 to 2³²−1): a message still waiting in a queue
   * after that is dropped, or dead-lettered to `Q.dlq` where the queue has one
   * (reason `expired`). As in RabbitMQ, it expires only once at the head of
   * its queue. Copies in `Q.dlq` and delay queues do not inherit it.
   */
  readonly expiration?: number;
  /**
   * Message priority, 0 to 255. Only a queue declared with `x-max-priority`
   * (`queueOptions.arguments`) delivers higher ones first (RabbitMQ; memory://
   * carries it but keeps FIFO order); other queues ignore it.
   */
  readonly priority?: number;
  /** Reject with `PUBLISH_UNROUTABLE` when no queue receives the message. @default the bus's `mandatory` option */
  readonly mandatory?: boolean;
}

/** {@link PublishOptions} once checked: headers copied (the caller's object is never read again), expiration in AMQP's string form. */
export interface CheckedPublishOptions {
  readonly headers: Readonly<Record<string, unknown>> | undefined;
  readonly expiration: string | undefined;
  readonly priority: number | undefined;
  readonly mandatory: boolean | undefined;
}

const OPTIONS: ReadonlySet<string> = new Set(['headers', 'expiration', 'priority', 'mandatory']);
/** RabbitMQ refuses a longer TTL (its timers hold 32 bits). */
const MAX_EXPIRATION_MS = 2 ** 32 - 1;
/** Deeper nesting is refused while copying, which also ends a cycle. */
const MAX_DEPTH = 32;

/**
 * `options` checked and copied, or `undefined` for none. A value that cannot
 * be read (a Proxy, a getter that throws) is refused like a bad one.
 *
 * @throws {ConfigError} `INVALID_ARGUMENT` when `options` is not an object;
 *   `INVALID_OPTIONS` for a bad, unknown or unreadable option, naming it.
 */
export function checkedPublishOptions(options: unknown, method = 'publish()'): CheckedPublishOptions | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null || read(method, 'options', () => isArray(options))) {
    throw new ConfigError(ErrorCode.INVALID_ARGUMENT, `${method}: options must be an object such as { headers: { tenant: 'acme' } }`);
  }
  for (const key of read(method, 'options', () => Object.keys(options))) {
    if (!OPTIONS.has(key)) invalid(method, key, 'is not a publish option; use headers, expiration, priority or mandatory');
  }
  const given = options as Record<string, unknown>;
  return {
    headers: read(method, 'headers', () => headersOf(method, given.headers)),
    expiration: expirationOf(
      method,
      read(method, 'expiration', () => given.expiration),
    ),
    priority: priorityOf(
      method,
      read(method, 'priority', () => given.priority),
    ),
    mandatory: mandatoryOf(
      method,
      read(method, 'mandatory', () => given.mandatory),
    ),
  };
}

function headersOf(method: string, headers: unknown): Record<string, unknown> | undefined {
  if (headers === undefined) return undefined;
  if (!isTable(headers)) invalid(method, 'headers', 'must be an object of header names and values');
  const copy = copyTable(headers, 'headers', 0, (name) => checkName(method, name));
  const refusal = headerTableRefusal(copy, 'headers');
  if (refusal !== undefined) throw new ConfigError(ErrorCode.INVALID_OPTIONS, `${method} option ${refusal}`);
  return copy;
}

function checkName(method: string, name: string): void {
  const lower = name.toLowerCase();
  if (name === '') invalid(method, 'headers', 'holds an empty header name');
  if (lower.startsWith('rx-pubsub-'))
    invalid(method, `headers.${name}`, "is reserved: rx-pubsub-* headers are the bus's own (retries, dead letters)");
  if (lower.startsWith('x-')) invalid(method, `headers.${name}`, 'is reserved: x-* headers belong to the broker and its plugins');
}

/** A plain copy of the table, each value checked; the caller's objects are read once, here. */
function copyTable(table: object, path: string, depth: number, checkKey?: (name: string) => void): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(table)) {
    checkKey?.(key);
    // amqplib reads a `!` field as the type tag of a typed value: a plain table must not hold one.
    if (key === '!') refuse(`${path} holds a "!" field, which AMQP clients read as a type tag`);
    const value: unknown = (table as Record<string, unknown>)[key];
    if (value !== undefined) copy[key] = copyValue(value, `${path}.${key}`, depth);
  }
  return copy;
}

function copyValue(value: unknown, path: string, depth: number): unknown {
  if (depth >= MAX_DEPTH) refuse(`${path} nests deeper than ${MAX_DEPTH} levels (a cycle?)`);
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : refuse(`${path} is ${String(value)}, which AMQP headers cannot carry`);
    case 'object':
      if (value === null) return null;
      if (isArray(value)) return value.map((item, index) => copyValue(item, `${path}[${index}]`, depth + 1));
      if (isTable(value)) return copyTable(value, path, depth + 1);
      break;
    default:
  }
  return refuse(`${path} must be a string, number, boolean, null, array or plain object (got ${typeOf(value)})`);
}

function expirationOf(method: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_EXPIRATION_MS) {
    invalid(method, 'expiration', `must be a whole number of milliseconds from 0 to ${MAX_EXPIRATION_MS} (got ${describe(value)})`);
  }
  return String(value);
}

function priorityOf(method: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 255) {
    invalid(method, 'priority', `must be an integer from 0 to 255 (got ${describe(value)})`);
  }
  return value;
}

function mandatoryOf(method: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  return invalid(method, 'mandatory', `must be true or false (got ${describe(value)})`);
}

/** A plain object: `{}` or `Object.create(null)`, not a class instance, Buffer, Date or Map (they would not arrive as sent). */
function isTable(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || isArray(value)) return false;
  const prototype: unknown = Reflect.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isArray(value: object): value is readonly unknown[] {
  return Array.isArray(value);
}

/** Reads a caller's value; one that throws (a getter, a Proxy trap) is refused as `option`. */
function read<T>(method: string, option: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (isRxPubsubError(error)) {
      // A refusal met while copying: name the method and the option.
      if (error instanceof Refusal) throw new ConfigError(ErrorCode.INVALID_OPTIONS, `${method} option ${error.message}`);
      throw error;
    }
    throw new ConfigError(ErrorCode.INVALID_OPTIONS, `${method} option ${option} could not be read (${messageOf(error)})`, {
      cause: error,
    });
  }
}

/** A refusal inside the copy, which knows the path but not the method. */
class Refusal extends ConfigError {}

function refuse(problem: string): never {
  throw new Refusal(ErrorCode.INVALID_OPTIONS, problem);
}

function invalid(method: string, option: string, problem: string): never {
  throw new ConfigError(ErrorCode.INVALID_OPTIONS, `${method} option ${option} ${problem}`);
}

function typeOf(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value;
  try {
    const name: unknown = (Reflect.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return typeof name === 'string' ? `a ${name}` : 'an object';
  } catch {
    return 'an object';
  }
}

function describe(value: unknown): string {
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeOf(value);
}
