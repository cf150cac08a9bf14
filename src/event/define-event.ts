import { ConfigError, ErrorCode, isRxPubsubError, messageOf, show } from '../errors.js';
import { checkRoutingKey, createEvent, type Event, type EventInit, isWord } from './event.js';
import type { Json } from './json.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { checkUpcasters, type Upcaster, type Upcasters } from './upcast.js';

/** The optional fields `EventDefinition.create` takes besides `data`. */
export type EventFields = Omit<EventInit, 'domain' | 'action' | 'data'>;

/** What `defineEvent` takes besides domain and action. */
export interface EventDefinitionOptions<TSchema extends StandardSchemaV1 | undefined = StandardSchemaV1 | undefined> {
  /**
   * Any Standard Schema validator (zod 4, valibot, arktype, ...) for `data`.
   * It types `data`, and a bus whose `events` list this definition checks
   * `data` with it when publishing and when a delivery arrives. Describe JSON:
   * `data` travels as JSON, so a transform to a `Date` would not survive the
   * wire. @default none: data is any JSON
   */
  readonly schema?: TSchema;
  /** The version of `data` this definition describes, an integer ≥ 1; `create` stamps it. @default 1 */
  readonly version?: number;
  /**
   * How a consumer on this version reads older messages: `upcast[n]` turns
   * version `n` data into version `n + 1`; the result is then checked by
   * `schema`. A message newer than `version` is dead-lettered.
   * @default none: older versions are dead-lettered
   */
  readonly upcast?: Upcasters;
}

/**
 * A typed definition of one event type, made by {@link defineEvent}.
 *
 * @example
 * const OrderCreated = defineEvent('order', 'created').withData<{ order_id: string }>();
 * const event = OrderCreated.create({ order_id: 'A1' });
 * if (OrderCreated.is(event)) event.data.order_id;
 */
export interface EventDefinition<TData = Json, TDomain extends string = string, TAction extends string = string> {
  /** What the event is about: the first word of the routing key. */
  readonly domain: TDomain;
  /** What happened: the second word of the routing key. */
  readonly action: TAction;
  /** `domain.action`: the AMQP routing key and the pattern matching exactly this event. */
  readonly routingKey: `${TDomain}.${TAction}`;
  /** The version of `data` this definition describes. @default 1 */
  readonly version: number;
  /** The validator of `data`, if any. */
  readonly schema: StandardSchemaV1 | undefined;
  /** Upcasters from older versions, by the version they start from. */
  readonly upcast: Readonly<Record<number, Upcaster>>;
  /**
   * Creates an event of this type at this definition's version; see
   * `createEvent` for defaults and checks. The schema is not run here: the
   * bus runs it on publish (and types already check `data`).
   */
  create(data: TData, fields?: EventFields): Event<TData, TDomain, TAction>;
  /** Whether `event` is of this type (same domain and action). */
  is(event: Event<unknown>): event is Event<TData, TDomain, TAction>;
  /** The same definition with `data` typed as `T` (a type-level cast; data is still checked to be JSON). */
  withData<T>(): EventDefinition<T, TDomain, TAction>;
}

/** An event definition of any data, domain and action: what a catalog takes. */
export type AnyEventDefinition = EventDefinition<unknown>;

/**
 * The event type a definition creates and a handler receives.
 *
 * @example
 * type OrderCreatedEvent = EventOf<typeof OrderCreated>;
 */
export type EventOf<D extends AnyEventDefinition> =
  D extends EventDefinition<infer TData, infer TDomain, infer TAction>
    ? Event<unknown extends TData ? Json : TData, TDomain, TAction>
    : never;

/** The `data` type a schema gives: its output type, or `Json` when it has none. */
export type SchemaData<TSchema extends StandardSchemaV1 | undefined> = TSchema extends StandardSchemaV1
  ? [StandardSchemaV1.InferOutput<TSchema>] extends [never]
    ? Json
    : unknown extends StandardSchemaV1.InferOutput<TSchema>
      ? Json
      : StandardSchemaV1.InferOutput<TSchema>
  : Json;

const definitions = new WeakSet<object>();

/** Whether `value` was made by {@link defineEvent}. */
export function isEventDefinition(value: unknown): value is AnyEventDefinition {
  return typeof value === 'object' && value !== null && definitions.has(value);
}

/**
 * Defines an event type once, for creating, recognising, routing and — with
 * a `schema` — validating it. `data` is typed by the schema's output.
 *
 * @example
 * import { z } from 'zod';
 * const OrderCreated = defineEvent('order', 'created', {
 *   version: 2,
 *   schema: z.object({ order_id: z.string(), total: z.object({ amount: z.number(), currency: z.string() }) }),
 *   upcast: { 1: (v1: { order_id: string; total: number }) => ({ order_id: v1.order_id, total: { amount: v1.total, currency: 'EUR' } }) },
 * });
 *
 * @throws {ConfigError} `INVALID_EVENT` when domain or action is not one
 *   word; `INVALID_ARGUMENT` for a bad schema, version or upcaster.
 */
export function defineEvent<
  const TDomain extends string,
  const TAction extends string,
  TSchema extends StandardSchemaV1 | undefined = undefined,
>(domain: TDomain, action: TAction, options?: EventDefinitionOptions<TSchema>): EventDefinition<SchemaData<TSchema>, TDomain, TAction> {
  try {
    return define(domain, action, options);
  } catch (error) {
    // The options' getters or Proxy traps threw: still a ConfigError, as documented.
    if (isRxPubsubError(error)) throw error;
    throw new ConfigError(ErrorCode.INVALID_ARGUMENT, `defineEvent(): the options cannot be read (${messageOf(error)})`, { cause: error });
  }
}

function define<TDomain extends string, TAction extends string, TSchema extends StandardSchemaV1 | undefined>(
  domain: TDomain,
  action: TAction,
  options: EventDefinitionOptions<TSchema> | undefined,
): EventDefinition<SchemaData<TSchema>, TDomain, TAction> {
  for (const [field, value] of [
    ['domain', domain],
    ['action', action],
  ] as const) {
    if (!isWord(value)) {
      throw new ConfigError(
        ErrorCode.INVALID_EVENT,
        `defineEvent(): ${field} must be one word of letters, digits, "_" or "-" (got ${show(value)})`,
      );
    }
  }
  checkRoutingKey(domain, action);
  const where = `defineEvent('${domain}', '${action}'):`;
  const { schema, version = 1, upcast } = optionsOf(options, where);
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new ConfigError(ErrorCode.INVALID_ARGUMENT, `${where} version must be an integer >= 1 (got ${show(version)})`);
  }
  if (schema !== undefined && typeof (schema as Partial<StandardSchemaV1> | null)?.['~standard']?.validate !== 'function') {
    throw new ConfigError(
      ErrorCode.INVALID_ARGUMENT,
      `${where} schema must be a Standard Schema validator (zod 4, valibot, arktype...): an object with ['~standard'].validate`,
    );
  }
  type Data = SchemaData<TSchema>;
  const definition: EventDefinition<Data, TDomain, TAction> = Object.freeze({
    domain,
    action,
    routingKey: `${domain}.${action}` as const,
    version,
    schema,
    upcast: checkUpcasters(upcast, version, where),
    create: (data: Data, fields: EventFields = {}) => createEvent({ version, ...readFields(fields), domain, action, data }),
    is: (event: Event<unknown>): event is Event<Data, TDomain, TAction> => isOfType(event, domain, action),
    withData: () => definition as never,
  });
  definitions.add(definition);
  return definition;
}

function optionsOf(options: EventDefinitionOptions | undefined, where: string): EventDefinitionOptions {
  if (options === undefined) return {};
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- validates what a JavaScript caller passed
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError(ErrorCode.INVALID_ARGUMENT, `${where} options must be an object: { schema, version, upcast }`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'schema' && key !== 'version' && key !== 'upcast') {
      throw new ConfigError(ErrorCode.INVALID_ARGUMENT, `${where} ${show(key)} is not an option; use schema, version or upcast`);
    }
  }
  return options;
}

/** A copy of `create`'s fields; a getter or Proxy that throws while copying is the caller's ConfigError. */
function readFields(fields: EventFields): EventFields {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- validates what a JavaScript caller passed
  if (typeof fields !== 'object' || fields === null) {
    throw new ConfigError(ErrorCode.INVALID_EVENT, `Invalid event: create()'s fields must be an object (got ${show(fields)})`);
  }
  try {
    return { ...fields };
  } catch (error) {
    throw new ConfigError(ErrorCode.INVALID_EVENT, `Invalid event: create()'s fields cannot be read (${messageOf(error)})`, {
      cause: error,
    });
  }
}

// A type guard is asked about anything, a revoked Proxy included: it answers, it does not throw.
function isOfType(event: unknown, domain: string, action: string): boolean {
  if (typeof event !== 'object' || event === null) return false;
  try {
    return (event as Event<unknown>).domain === domain && (event as Event<unknown>).action === action;
  } catch {
    return false;
  }
}
