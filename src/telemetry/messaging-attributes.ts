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

/** The PRODUCER span's attributes. */
export function publishAttributes(message: OutboundMessage, broker: BrokerIdentity): AttributeMap {
  const { messageId, correlationId } = message.properties;
  return {
    ...brokerAttributes(broker),
    [Attr.OPERATION_NAME]: 'publish',
    [Attr.OPERATION_TYPE]: 'send',
    [Attr.DESTINATION]: message.exchange,
    [Attr.ROUTING_KEY]: message.routingKey,
    [Attr.BODY_SIZE]: typeof message.body === 'string' ? Buffer.byteLength(message.body) : bodyBytes(message.body).length,
    ...(messageId === undefined ? {} : { [Attr.MESSAGE_ID]: messageId }),
    ...(correlationId === undefined ? {} : { [Attr.CONVERSATION_ID]: correlationId }),
  };
}

/** The CONSUMER span's attributes. A retry comes back through the default exchange: its key is the one it was published with. */
export function deliveryAttributes(delivery: Delivery, queue: string, broker: BrokerIdentity): AttributeMap {
  const { messageId, correlationId } = delivery.properties;
  return {
    ...brokerAttributes(broker),
    [Attr.OPERATION_NAME]: 'process',
    [Attr.OPERATION_TYPE]: 'process',
    [Attr.DESTINATION]: delivery.exchange,
    [Attr.ROUTING_KEY]: publishedRoutingKeyOf(delivery),
    [Attr.CONSUMER_GROUP]: queue,
    [Attr.BODY_SIZE]: delivery.body.length,
    ...(typeof messageId === 'string' ? { [Attr.MESSAGE_ID]: messageId } : {}),
    ...(typeof correlationId === 'string' ? { [Attr.CONVERSATION_ID]: correlationId } : {}),
  };
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
