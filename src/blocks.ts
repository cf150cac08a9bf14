/**
 * `rx-pubsub-amqp/blocks`: the building blocks `EventBus` is composed of, as the
 * Python system had them, each usable on its own.
 *
 * @experimental Outside semver: any release may rename, change or remove
 * these exports. Pin an exact version if you build on them, and prefer the
 * public API of `rx-pubsub-amqp` (see docs/api-surface.md).
 *
 * - routing: {@link compilePattern}, {@link bindingKeysOf}, {@link Registry};
 * - the wire format: {@link encodeEvent}, {@link decodeEvent}, {@link eventJson};
 * - the delivery pipeline, without I/O: {@link processDeliveries}, {@link runHandler};
 * - the transports behind `amqp(s)://` and `memory://`: {@link AmqpTransport},
 *   {@link MemoryTransport} (both implement the public `Transport` interface);
 * - {@link guardedLogger}: a logger whose throws are caught.
 *
 * @packageDocumentation
 */
export { compilePattern, bindingKeysOf, type Pattern } from './routing/pattern.js';
export { Registry, type Route } from './routing/registry.js';
export { encodeEvent, decodeEvent, eventJson, JSON_CONTENT_TYPE, type WireInfo } from './event/serializer.js';
export { processDeliveries, type PipelineConfig } from './core/process-deliveries.js';
export { runHandler } from './core/run-handler.js';
export type { RegisteredHandler } from './core/handler.js';
export { AmqpTransport, type AmqpTransportConfig } from './transport/amqp/amqp-transport.js';
export type { AmqpConnectionConfig } from './transport/amqp/amqp-connection.js';
export { MemoryTransport, type MemoryTransportOptions } from './transport/memory/memory-transport.js';
export { guardedLogger } from './logger.js';
