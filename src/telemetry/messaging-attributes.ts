import { publishedRoutingKeyOf } from '../core/headers.js';
import { isError } from '../errors.js';
import { bodyBytes, type Delivery, type OutboundMessage } from '../transport/transport.js';

/**
 * The attribute names on rx-pubsub's spans and metrics: OpenTelemetry's
 * messaging semantic conventions where one exists, `rx_pubsub.*` for ours.
 */
export const Attr = {
  SYSTEM: 'messaging.system',
  OPERATION_NAME: 'messaging.operation.name',
  OPERATION_TYPE: 'messaging.operation.type',
  DESTINATION: 'messaging.destination.name',
  ROUTING_KEY: 'messaging.rabbitmq.destination.routing_key',
  MESSAGE_ID: 'messaging.message.id',
  CONVERSATION_ID: 'messaging.message.conversation_id',
  BODY_SIZE: 'messaging.message.body.size',
  CONSUMER_GROUP: 'messaging.consumer.group.name',
  SERVER_ADDRESS: 'server.address',
  SERVER_PORT: 'server.port',
  ERROR_TYPE: 'error.type',
  PATTERN: 'rx_pubsub.pattern',
  HANDLER_ID: 'rx_pubsub.handler.id',
  ATTEMPT: 'rx_pubsub.attempt',
  OUTCOME: 'rx_pubsub.outcome',
  /** false when the outcome's broker action never reached the broker (see `Settlement.sent`). */
  SENT: 'rx_pubsub.settlement.sent',
  CONNECTION_NAME: 'rx_pubsub.connection.name',
} as const;

/** `messaging.system` on the in-process broker (`memory://`): not RabbitMQ, whatever it imitates. */
export const MEMORY_SYSTEM = 'rx_pubsub_memory';

/** Where the bus's messages go, as the conventions name it. */
export interface BrokerIdentity {
  readonly system: string;
  readonly address: string | undefined;
  readonly port: number | undefined;
}

export type AttributeMap = Record<string, string | number | boolean>;

/**
 * The broker behind a connected state's URL (redacted: it holds no password):
 * `memory://NAME` → the in-process broker NAME; `amqp(s)://host:port` → RabbitMQ.
 */
export function brokerOf(url: string | undefined): BrokerIdentity {
  if (url === undefined) return { system: 'rabbitmq', address: undefined, port: undefined };
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'memory:') return { system: MEMORY_SYSTEM, address: parsed.host, port: undefined };
    const port = parsed.port === '' ? (parsed.protocol === 'amqps:' ? 5671 : 5672) : Number(parsed.port);
    return { system: 'rabbitmq', address: parsed.hostname, port };
  } catch {
    return { system: 'rabbitmq', address: undefined, port: undefined };
  }
}

/** `messaging.system`, `server.address`, `server.port`: on every span and metric. */
export function brokerAttributes(broker: BrokerIdentity): AttributeMap {
  const attributes: AttributeMap = { [Attr.SYSTEM]: broker.system };
  if (broker.address !== undefined) attributes[Attr.SERVER_ADDRESS] = broker.address;
  if (broker.port !== undefined) attributes[Attr.SERVER_PORT] = broker.port;
  return attributes;
}

// The two builders below run once per message while a span records: literal keys (the names of `Attr`) and
// assignments, not spreads, so that V8 builds each object in one step.

/** The PRODUCER span's attributes. */
export function publishAttributes(message: OutboundMessage, broker: BrokerIdentity): AttributeMap {
  const { messageId, correlationId } = message.properties;
  const attributes: AttributeMap = {
    'messaging.system': broker.system,
    'messaging.operation.name': 'publish',
    'messaging.operation.type': 'send',
    'messaging.destination.name': message.exchange,
    'messaging.rabbitmq.destination.routing_key': message.routingKey,
    'messaging.message.body.size': typeof message.body === 'string' ? Buffer.byteLength(message.body) : bodyBytes(message.body).length,
  };
  if (messageId !== undefined) attributes['messaging.message.id'] = messageId;
  if (correlationId !== undefined) attributes['messaging.message.conversation_id'] = correlationId;
  return withServer(attributes, broker);
}

/** The CONSUMER span's attributes. A retry comes back through the default exchange: its key is the one it was published with. */
export function deliveryAttributes(delivery: Delivery, queue: string, broker: BrokerIdentity): AttributeMap {
  const { messageId, correlationId } = delivery.properties;
  const attributes: AttributeMap = {
    'messaging.system': broker.system,
    'messaging.operation.name': 'process',
    'messaging.operation.type': 'process',
    'messaging.destination.name': delivery.exchange,
    'messaging.rabbitmq.destination.routing_key': publishedRoutingKeyOf(delivery),
    'messaging.consumer.group.name': queue,
    'messaging.message.body.size': delivery.body.length,
  };
  if (typeof messageId === 'string') attributes['messaging.message.id'] = messageId;
  if (typeof correlationId === 'string') attributes['messaging.message.conversation_id'] = correlationId;
  return withServer(attributes, broker);
}

function withServer(attributes: AttributeMap, broker: BrokerIdentity): AttributeMap {
  if (broker.address !== undefined) attributes['server.address'] = broker.address;
  if (broker.port !== undefined) attributes['server.port'] = broker.port;
  return attributes;
}

/**
 * `error.type`: low cardinality, as the conventions ask. An rx-pubsub error's
 * code (`HANDLER_TIMEOUT`, `PUBLISH_REFUSED`), else the error's class name,
 * else `_OTHER`. The error is the application's: a getter that throws gives `_OTHER`.
 */
export function errorTypeOf(error: unknown): string {
  try {
    if (!isError(error)) return '_OTHER';
    const { code, name } = error as Error & { code?: unknown };
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code)) return code;
    return typeof name === 'string' && name !== '' && name.length <= 64 ? name : '_OTHER';
  } catch {
    return '_OTHER';
  }
}
