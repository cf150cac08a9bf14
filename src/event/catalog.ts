import { ConfigError, ErrorCode, isRxPubsubError, messageOf, show } from '../errors.js';
import type { AnyEventDefinition } from './define-event.js';
import { isEventDefinition } from './define-event.js';
import { type Event, routingKeyOf, toEvent } from './event.js';
import { EventValidationError } from './event-validation-error.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { upcastData } from './upcast.js';
import { badMessage } from './serializer.js';

/**
 * The event types a bus knows, by routing key: what `EventBus.connect({ events })`
 * builds. It guards the wire in both directions:
 *
 * | where      | event of the catalog                                                                                     | other event           |
 * |------------|----------------------------------------------------------------------------------------------------------|-----------------------|
 * | `publish`  | version must equal the definition's; `data` must pass the schema, else `EventValidationError` (INVALID_DATA) | sent unchecked        |
 * | delivery   | older version → upcast; newer → dead-letter; `data` must pass the schema, else dead-letter with the issues | routed as it is, unchecked |
 *
 * Publishing awaits a schema that validates asynchronously. Deliveries are
 * checked synchronously on the consume path: a schema answering with a
 * Promise there dead-letters the delivery with a reason saying so.
 */
export interface EventCatalog {
  /** The definitions, in the order given. */
  readonly definitions: readonly AnyEventDefinition[];
  /** The definition of a routing key, if the catalog has one. */
  definitionOf(routingKey: string): AnyEventDefinition | undefined;
  /**
   * Checks an event about to be published against its definition:
   * synchronously (returning nothing) unless the schema answers with a
   * Promise, which is then returned. Staying synchronous keeps publishes that
   * are not awaited in call order.
   *
   * @throws {ConfigError} `INVALID_EVENT` for a version other than the
   *   definition's; {@link EventValidationError} (`INVALID_DATA`) when `data`
   *   fails the schema.
   */
  checkOutgoing(event: Event): Promise<void> | undefined;
  /**
   * An arriving event as its definition's version, upcast and parsed by the
   * schema (its output is what handlers see), or the event itself when the
   * catalog does not know its type.
   *
   * @throws {DeliveryError} `BAD_MESSAGE`: the reason to dead-letter it with.
   */
  checkIncoming(event: Event): Event;
}

/**
 * Builds a catalog from event definitions. A bus builds its own from the
 * `events` option; build one yourself to check events outside a bus (a
 * gateway validating what it forwards, a test).
 *
 * @param where - Names the caller in error messages.
 * @throws {ConfigError} `INVALID_OPTIONS` when an item is not made by
 *   `defineEvent` or two items share a routing key.
 * @example
 * const catalog = createCatalog([OrderCreated, OrderPaid]);
 * await catalog.checkOutgoing(event); // throws EventValidationError when data fails the schema
 */
export function createCatalog(definitions: readonly AnyEventDefinition[], where = 'EventBus option events'): EventCatalog {
  try {
    return build(definitions, where);
  } catch (error) {
    // A list whose reads throw (a Proxy, a getter) is still a wrong option, not a crash.
    if (isRxPubsubError(error)) throw error;
    return invalid(`${where} cannot be read (${messageOf(error)})`, error);
  }
}

function build(definitions: readonly AnyEventDefinition[], where: string): EventCatalog {
  if (!Array.isArray(definitions)) invalid(`${where} must be an array of event definitions made by defineEvent()`);
  const byKey = new Map<string, AnyEventDefinition>();
  definitions.forEach((definition: unknown, index) => {
    if (!isEventDefinition(definition))
      invalid(`${where}[${index}] is not an event definition (got ${show(definition)}): make it with defineEvent()`);
    if (byKey.has(definition.routingKey)) invalid(`${where} lists ${definition.routingKey} twice: keep one definition per event type`);
    byKey.set(definition.routingKey, definition);
  });
  return Object.freeze({
    definitions: Object.freeze([...(definitions as readonly AnyEventDefinition[])]),
    definitionOf: (routingKey: string) => byKey.get(routingKey),
    checkOutgoing: (event: Event) => {
      const definition = byKey.get(routingKeyOf(event));
      if (definition === undefined) return undefined;
      if (event.version !== definition.version) {
        throw new ConfigError(
          ErrorCode.INVALID_EVENT,
          `${definition.routingKey} is version ${definition.version} in this bus's catalog, but the event is version ${event.version}: create it with the definition's create()`,
        );
      }
      if (definition.schema === undefined) return undefined;
      const result = validateOutgoing(definition, definition.schema, event.data);
      return isThenable(result)
        ? Promise.resolve(result).then((settled) => refuseIssues(definition, settled))
        : // eslint-disable-next-line @typescript-eslint/no-confusing-void-expression -- refuseIssues() returns `undefined`, checkOutgoing's "nothing to wait for"
          refuseIssues(definition, result);
    },
    checkIncoming: (event: Event) => {
      const definition = byKey.get(routingKeyOf(event));
      if (definition === undefined) return event;
      const data = upcastData(definition.routingKey, event.data, event.version, definition.version, definition.upcast);
      if (definition.schema === undefined && data === event.data) return event;
      return rebuild(event, definition, parse(definition, data));
    },
  });
}

function validateOutgoing(
  definition: AnyEventDefinition,
  schema: StandardSchemaV1,
  data: unknown,
): StandardSchemaV1.Result<unknown> | PromiseLike<StandardSchemaV1.Result<unknown>> {
  try {
    const result = schema['~standard'].validate(data);
    return isThenable(result) ? Promise.resolve(result).catch((error: unknown) => schemaThrew(definition, error)) : result;
  } catch (error) {
    return schemaThrew(definition, error);
  }
}

function refuseIssues(definition: AnyEventDefinition, result: StandardSchemaV1.Result<unknown>): undefined {
  if (result.issues) throw new EventValidationError(definition.routingKey, definition.version, result.issues);
  return undefined;
}

function schemaThrew(definition: AnyEventDefinition, error: unknown): never {
  throw new ConfigError(ErrorCode.INVALID_DATA, `${definition.routingKey}: the schema threw: ${messageOf(error)}`, { cause: error });
}

function parse(definition: AnyEventDefinition, data: unknown): unknown {
  if (definition.schema === undefined) return data;
  let result: StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>>;
  try {
    result = definition.schema['~standard'].validate(data);
  } catch (error) {
    badMessage(`${definition.routingKey}: the schema threw: ${messageOf(error)}`, error);
  }
  if (isThenable(result)) {
    result.then(undefined, () => {}); // awaited by nobody: keep its rejection from being unhandled
    badMessage(
      `${definition.routingKey}: the schema validates asynchronously; deliveries are checked synchronously, so use a schema without async refinements`,
    );
  }
  if (result.issues) {
    const error = new EventValidationError(definition.routingKey, definition.version, result.issues);
    badMessage(error.message, error);
  }
  return result.value;
}

/** The event at the definition's version with the parsed data, frozen and checked like any event. */
function rebuild(event: Event, definition: AnyEventDefinition, data: unknown): Event {
  try {
    return toEvent({ ...event, version: definition.version, data });
  } catch (error) {
    badMessage(`${definition.routingKey}: the upcast or parsed data is not an event's JSON: ${messageOf(error)}`, error);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function invalid(message: string, cause?: unknown): never {
  throw new ConfigError(ErrorCode.INVALID_OPTIONS, message, cause === undefined ? {} : { cause });
}
