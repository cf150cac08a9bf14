import { randomUUID } from 'node:crypto';
import { ConfigError, ErrorCode, isRxPubsubError, messageOf, show } from '../errors.js';
import { isoNow, timestampProblem } from './event-time.js';
import { EVENT_LIMITS, fitsBytes } from './event-limits.js';
import { freezeParsed, type Json, keyPath, toFrozenJson } from './json.js';

/**
 * A domain event: plain, frozen data that travels as JSON.
 *
 * The routing key of an event is `domain.action` (`order.created`).
 */
export interface Event<TData = Json, TDomain extends string = string, TAction extends string = string> {
  /** Unique id; also the AMQP `messageId`. */
  readonly id: string;
  /** What the event is about: one word, `[A-Za-z0-9_-]+`. */
  readonly domain: TDomain;
  /** What happened: one word, `[A-Za-z0-9_-]+`. */
  readonly action: TAction;
  /** The payload, plain JSON only. */
  readonly data: TData;
  /** Schema version of `data`, an integer ≥ 1. @default 1 */
  readonly version: number;
  /** When it happened, ISO-8601. @default now */
  readonly timestamp: string;
  /** Ties together every event of one business transaction. */
  readonly correlationId?: string;
  /** The id of the event (or command) that caused this one. */
  readonly causationId?: string;
  /** Free-form string labels (tenant, source service, ...). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** What `createEvent` takes: `domain`, `action` and `data`, and optionally any other field. */
export interface EventInit<TData = Json, TDomain extends string = string, TAction extends string = string> {
  /** What the event is about: one word, `[A-Za-z0-9_-]+` (the first half of the routing key). Required. */
  readonly domain: TDomain;
  /** What happened: one word, `[A-Za-z0-9_-]+` (the second half of the routing key). Required. */
  readonly action: TAction;
  /** The payload: plain JSON (no `Date`, `Map`, class instance or `undefined` in an array), nested at most {@link MAX_DATA_DEPTH} deep. Required. */
  readonly data: TData;
  /** Unique id, at most `EVENT_LIMITS.maxIdBytes`. @default a new UUID (`crypto.randomUUID()`) */
  readonly id?: string;
  /** Schema version of `data`, an integer ≥ 1. @default 1 */
  readonly version?: number;
  /** When it happened, ISO-8601 between `EVENT_LIMITS.minTimestamp` and `maxTimestamp`. @default now */
  readonly timestamp?: string;
  /** Ties together every event of one business transaction (a handler's `context.publish` carries it over). */
  readonly correlationId?: string;
  /** The id of the event (or command) that caused this one (a handler's `context.publish` sets it). */
  readonly causationId?: string;
  /** Free-form string labels (tenant, source service, ...), within the `EVENT_LIMITS` on metadata. */
  readonly metadata?: Readonly<Record<string, string>>;
}

const WORD = /^[A-Za-z0-9_-]+$/;
const FIELD_LIST = ['id', 'domain', 'action', 'data', 'version', 'timestamp', 'correlationId', 'causationId', 'metadata'] as const;
const FIELDS = new Set<string>(FIELD_LIST);
type Fields = Partial<Record<(typeof FIELD_LIST)[number], unknown>>;

/**
 * Creates a frozen event, filling `id` (a UUID), `version` (1) and `timestamp`
 * (now) when not given.
 *
 * @throws {ConfigError} `INVALID_EVENT` for a bad field or one past
 *   {@link EVENT_LIMITS}, `INVALID_DATA` when `data` is not plain JSON or nests
 *   deeper than `EVENT_LIMITS.maxDataDepth` (the message names the path, e.g.
 *   `data.items[2].at`). Nothing else: a getter or Proxy that throws is
 *   reported as the field it stands for.
 * @example
 * const event = createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1' } });
 */
export function createEvent<TData, TDomain extends string, TAction extends string>(
  init: EventInit<TData, TDomain, TAction>,
): Event<TData, TDomain, TAction> {
  if (!isRecord(init)) invalid('createEvent() takes an object: { domain, action, data }');
  return buildTyped(init, false, true) as Event<TData, TDomain, TAction>;
}

/**
 * Checks that `value` is a complete event and returns a frozen copy.
 * Used for events arriving from the wire as well as for `createEvent`;
 * `parsed` says `value` comes fresh from `JSON.parse`, so its data is frozen, not copied.
 *
 * @throws {ConfigError} `INVALID_EVENT` or `INVALID_DATA`, naming the field.
 */
export function toEvent(value: unknown, parsed = false): Event {
  if (!isRecord(value)) invalid('an event must be a JSON object');
  return buildTyped(value, parsed, false);
}

/** An object that is not an array; never throws (`Array.isArray` does on a revoked Proxy). */
function isRecord(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  try {
    return !Array.isArray(value);
  } catch {
    return invalid('the event is a revoked Proxy');
  }
}

// Every check names its field; whatever else throws (a bug, a hostile object) still leaves as a ConfigError.
function buildTyped(input: object, parsed: boolean, fill: boolean): Event {
  try {
    return build(readFields(input as Record<string, unknown>), parsed, fill);
  } catch (error) {
    if (isRxPubsubError(error)) throw error;
    return invalid(`could not be read (${messageOf(error)})`, error);
  }
}

/**
 * The event's fields, each read once (a getter may answer differently twice);
 * a getter or Proxy trap that throws is refused, naming the field. One object
 * literal, not a loop: this runs on every publish and every delivery.
 */
function readFields(input: Record<string, unknown>): Fields {
  try {
    for (const key of Object.keys(input)) {
      if (!FIELDS.has(key)) invalid(`unknown field ${show(key)}; an event has ${FIELD_LIST.join(', ')}`);
    }
    return {
      id: input.id,
      domain: input.domain,
      action: input.action,
      data: input.data,
      version: input.version,
      timestamp: input.timestamp,
      correlationId: input.correlationId,
      causationId: input.causationId,
      metadata: input.metadata,
    };
  } catch (error) {
    if (isRxPubsubError(error)) throw error;
    return invalid(`${failingField(input)} cannot be read (${messageOf(error)})`, error);
  }
}

/** The first field whose read throws, looked for only once one did. */
function failingField(input: Record<string, unknown>): string {
  for (const field of FIELD_LIST) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-meaningless-void-operator -- runs the field's getter only to see whether it throws
      void input[field];
    } catch {
      return field;
    }
  }
  return 'its fields';
}

/**
 * The one place an event is made. With `fill`, a field left out (or
 * `undefined`) gets its default, which is valid by construction and so not
 * checked again: this runs once per publish.
 */
function build(input: Fields, parsed: boolean, fill: boolean): Event {
  const domain = word(input.domain, 'domain');
  const action = word(input.action, 'action');
  checkRoutingKey(domain, action);
  const event: Record<string, unknown> = {
    id: fill && input.id === undefined ? randomUUID() : shortString(input.id, 'id'),
    domain,
    action,
    data: dataOf(input.data, parsed),
    version: fill && input.version === undefined ? 1 : version(input.version),
    timestamp: fill && input.timestamp === undefined ? isoNow() : timestamp(input.timestamp),
  };
  if (input.correlationId !== undefined) event.correlationId = shortString(input.correlationId, 'correlationId');
  if (input.causationId !== undefined) event.causationId = shortString(input.causationId, 'causationId');
  if (input.metadata !== undefined) event.metadata = metadata(input.metadata);
  const frozen = Object.freeze(event) as unknown as Event;
  checked.add(frozen);
  return frozen;
}

/** Events made by `toEvent`: deep-frozen and valid, so they need no second check. */
const checked = new WeakSet<object>();

/** `value` itself when it is an event made by `createEvent`/`toEvent`, else a checked copy. */
export function ensureEvent(value: unknown): Event {
  return typeof value === 'object' && value !== null && checked.has(value) ? (value as Event) : toEvent(value);
}

let lastDomain = '';
let lastAction = '';
let lastKey = '.';

/**
 * The routing key of an event: `domain.action`. The last one is remembered: publishes come in runs of one type,
 * and each unconfirmed message keeps its key twice (routing key and `type`), so one string serves them all.
 */
export function routingKeyOf(event: Pick<Event, 'domain' | 'action'>): string {
  const { domain, action } = event;
  if (domain !== lastDomain || action !== lastAction) {
    lastDomain = domain;
    lastAction = action;
    lastKey = `${domain}.${action}`;
  }
  return lastKey;
}

/** Whether `value` is a single word usable as a domain or action. */
export function isWord(value: unknown): value is string {
  return typeof value === 'string' && WORD.test(value);
}

// What JSON.parse made is JSON by construction and ours alone: freezing it in place is enough.
function dataOf(data: unknown, parsed: boolean): Json {
  if (data === undefined) invalid('data is missing; pass data: {} for an event without payload');
  return parsed ? freezeParsed(data) : toFrozenJson(data);
}

function word(value: unknown, field: string): string {
  if (!isWord(value)) {
    invalid(
      `${field} must be one word of letters, digits, "_" or "-" (got ${show(value)}); dots and wildcards belong in patterns, not in events`,
    );
  }
  return value;
}

/**
 * The routing key is an AMQP short string: `domain.action` at most
 * `EVENT_LIMITS.maxRoutingKeyBytes` (words are ASCII, so characters are bytes).
 * @throws {ConfigError} `INVALID_EVENT`.
 */
export function checkRoutingKey(domain: string, action: string): void {
  const length = domain.length + 1 + action.length;
  if (length > EVENT_LIMITS.maxRoutingKeyBytes) {
    invalid(
      `the routing key "domain.action" is ${length} bytes; the limit is ${EVENT_LIMITS.maxRoutingKeyBytes} (EVENT_LIMITS.maxRoutingKeyBytes, an AMQP short string): shorten domain (${domain.length}) or action (${action.length})`,
    );
  }
}

// id, correlationId and causationId travel as (or beside) AMQP short strings.
function shortString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) invalid(`${field} must be a non-empty string (got ${show(value)})`);
  if (!fitsBytes(value, EVENT_LIMITS.maxIdBytes)) {
    invalid(
      `${field} is ${Buffer.byteLength(value)} bytes of UTF-8; the limit is ${EVENT_LIMITS.maxIdBytes} (EVENT_LIMITS.maxIdBytes, an AMQP short string)`,
    );
  }
  return value;
}

function version(value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) invalid(`version must be an integer >= 1 (got ${show(value)})`);
  return value as number;
}

function timestamp(value: unknown): string {
  const problem = timestampProblem(value);
  if (problem !== undefined) invalid(problem);
  return value as string;
}

function metadata(value: unknown): Readonly<Record<string, string>> {
  let entries: [string, unknown][];
  try {
    const proto: unknown = typeof value === 'object' && value !== null ? Object.getPrototypeOf(value) : undefined;
    if (proto !== Object.prototype && proto !== null) invalid(`metadata must be a plain object of strings (got ${show(value)})`);
    entries = Object.entries(value as object);
  } catch (error) {
    if (isRxPubsubError(error)) throw error;
    return invalid(`metadata cannot be read (${messageOf(error)})`, error);
  }
  if (entries.length > EVENT_LIMITS.maxMetadataEntries) {
    invalid(`metadata has ${entries.length} entries; the limit is ${EVENT_LIMITS.maxMetadataEntries} (EVENT_LIMITS.maxMetadataEntries)`);
  }
  const out: Record<string, string> = {};
  for (const [key, item] of entries) {
    if (key.length === 0 || !fitsBytes(key, EVENT_LIMITS.maxMetadataKeyBytes)) {
      invalid(
        `metadata key ${show(key)} must be 1 to ${EVENT_LIMITS.maxMetadataKeyBytes} bytes of UTF-8 (EVENT_LIMITS.maxMetadataKeyBytes)`,
      );
    }
    if (typeof item !== 'string') invalid(`metadata${keyPath(key)} must be a string (got ${show(item)})`);
    if (!fitsBytes(item, EVENT_LIMITS.maxMetadataValueBytes)) {
      invalid(
        `metadata${keyPath(key)} is ${Buffer.byteLength(item)} bytes of UTF-8; the limit is ${EVENT_LIMITS.maxMetadataValueBytes} (EVENT_LIMITS.maxMetadataValueBytes)`,
      );
    }
    // defineProperty: a "__proto__" key is a label like any other, not a prototype.
    Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
  }
  return Object.freeze(out);
}

function invalid(message: string, cause?: unknown): never {
  throw new ConfigError(ErrorCode.INVALID_EVENT, `Invalid event: ${message}`, cause === undefined ? {} : { cause });
}
