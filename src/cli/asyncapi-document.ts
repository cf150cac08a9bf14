import type { StandardSchemaV1 } from '../index.js';
import { dataSchemaOf, type JsonSchema, type JsonSchemaFallback } from './json-schema-of.js';

/** What the document needs of an event definition (`defineEvent`'s result has it all). */
export interface CatalogEntry {
  readonly domain: string;
  readonly action: string;
  readonly routingKey: string;
  readonly version: number;
  readonly schema: StandardSchemaV1 | undefined;
}

/** How the document describes the bus. */
export interface AsyncApiOptions {
  /** The topic exchange the events are published to. */
  readonly exchange: string;
  /** `info.title`. @default 'rx-pubsub events' */
  readonly title?: string;
  /** `info.version`: the version of the API this document describes. @default '1.0.0' */
  readonly version?: string;
  /** A JSON Schema for a schema that does not give one through the Standard JSON Schema interface (zod 4.0 and 4.1: `z.toJSONSchema`). */
  readonly fallback?: JsonSchemaFallback;
}

/** The document, and what could not be described exactly (one note per event type). */
export interface AsyncApi {
  readonly document: Readonly<Record<string, unknown>>;
  readonly notes: readonly string[];
}

/** The AMQP bindings' version (https://github.com/asyncapi/bindings/tree/master/amqp). */
const AMQP_BINDING_VERSION = '0.3.0';

/**
 * An AsyncAPI 3.0 document of an event catalog: one channel per routing key
 * (its address; AMQP binding: the topic exchange), one message per event type
 * whose payload is the event as it travels (the envelope rx-pubsub writes,
 * `data` described by the definition's schema), and a send and a receive
 * operation per channel. A schema that cannot give a JSON Schema leaves
 * `data` open (any JSON) and adds a note.
 */
export function asyncApiDocument(entries: readonly CatalogEntry[], options: AsyncApiOptions): AsyncApi {
  const notes: string[] = [];
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const entry of [...entries].sort((a, b) => a.routingKey.localeCompare(b.routingKey))) {
    const key = entry.routingKey;
    const data = dataSchemaOf(entry.schema, options.fallback);
    if (data.note !== undefined) notes.push(`${key}: ${data.note}`);
    Object.assign(schemas, hoisted(key, data.schema));
    messages[key] = messageObject(entry, data.note);
    channels[key] = {
      address: key,
      messages: { [key]: { $ref: `#/components/messages/${key}` } },
      bindings: { amqp: exchangeBinding(options.exchange) },
    };
    for (const action of ['send', 'receive'] as const) {
      operations[`${key}.${action}`] = {
        action,
        channel: { $ref: `#/channels/${key}` },
        messages: [{ $ref: `#/channels/${key}/messages/${key}` }],
      };
    }
  }
  const document = {
    asyncapi: '3.0.0',
    info: {
      title: options.title ?? 'rx-pubsub events',
      version: options.version ?? '1.0.0',
      description: `Events published to the topic exchange "${options.exchange}" by rx-pubsub: the routing key is domain.action, the body the event as JSON.`,
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages, schemas },
  };
  return { document, notes };
}

function messageObject(entry: CatalogEntry, note: string | undefined): Record<string, unknown> {
  return {
    name: entry.routingKey,
    title: `${entry.routingKey} v${entry.version}`,
    contentType: 'application/json',
    ...(note === undefined ? {} : { description: note }),
    correlationId: { location: '$message.payload#/correlationId' },
    payload: envelope(entry),
    bindings: { amqp: { messageType: entry.routingKey, bindingVersion: AMQP_BINDING_VERSION } },
  };
}

/** The event as rx-pubsub sends it (see `Event`); `data` refers to the definition's schema. */
function envelope(entry: CatalogEntry): JsonSchema {
  const id = { type: 'string', minLength: 1, maxLength: 255 };
  return {
    type: 'object',
    required: ['id', 'domain', 'action', 'data', 'version', 'timestamp'],
    additionalProperties: false,
    properties: {
      id: { ...id, description: 'Unique id; also the AMQP messageId.' },
      domain: { const: entry.domain },
      action: { const: entry.action },
      data: { $ref: `#/components/schemas/${dataName(entry.routingKey)}` },
      version: { const: entry.version },
      timestamp: { type: 'string', format: 'date-time' },
      correlationId: id,
      causationId: id,
      metadata: { type: 'object', additionalProperties: { type: 'string' } },
    },
  };
}

function exchangeBinding(exchange: string): Record<string, unknown> {
  return {
    is: 'routingKey',
    exchange: { name: exchange, type: 'topic', durable: true, autoDelete: false },
    bindingVersion: AMQP_BINDING_VERSION,
  };
}

function dataName(routingKey: string): string {
  return `${routingKey}.data`;
}

/**
 * The data schema under `components.schemas`, with the definitions it holds
 * (`definitions` in draft-07, `$defs` in 2020-12) moved beside it and every
 * local `$ref` rewritten: inside a document, `#` is the document's root.
 */
function hoisted(routingKey: string, schema: JsonSchema): Record<string, unknown> {
  const { $schema: _dialect, definitions, $defs, ...rest } = schema;
  const shared = { ...asRecord(definitions), ...asRecord($defs) };
  const nameOf = (name: string) => `${routingKey}.${name.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  const rewrite = (ref: string): string => {
    if (ref === '#') return `#/components/schemas/${dataName(routingKey)}`;
    const local = /^#\/(?:definitions|\$defs)\/([^/]+)$/.exec(ref);
    return local?.[1] === undefined ? ref : `#/components/schemas/${nameOf(unescapePointer(local[1]))}`;
  };
  const result: Record<string, unknown> = { [dataName(routingKey)]: rewriteRefs(rest, rewrite) };
  for (const [name, definition] of Object.entries(shared)) result[nameOf(name)] = rewriteRefs(definition, rewrite);
  return result;
}

function rewriteRefs(value: unknown, rewrite: (ref: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, rewrite));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === '$ref' && typeof item === 'string' ? rewrite(item) : rewriteRefs(item, rewrite),
    ]),
  );
}

function unescapePointer(segment: string): string {
  let decoded = segment;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    // not percent-encoded after all: take it as it is
  }
  return decoded.replaceAll('~1', '/').replaceAll('~0', '~');
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
