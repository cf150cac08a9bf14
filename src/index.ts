/**
 * `rx-pubsub-amqp`: the public API, under semver (see docs/api-surface.md).
 *
 * - the bus: {@link EventBus}, its options, stats and connection states;
 * - events: {@link createEvent}, {@link defineEvent}, the catalog, the limits;
 * - errors and the logger;
 * - the {@link Transport} interface, for a transport of your own.
 *
 * The test kit is `rx-pubsub-amqp/testing` (also under semver). The blocks the bus
 * is built from (the pipeline, the registry, patterns, the serializer, the
 * AMQP and memory transports) are `rx-pubsub-amqp/blocks`: `@experimental`,
 * outside semver. Anything else is internal and cannot be imported.
 */
// The bus
export {
  EventBus,
  type BusStats,
  type HandleOptions,
  type CloseOptions,
  type ReplayOptions,
  type PublishAllOptions,
  type PublishAllSource,
} from './bus/event-bus.js';
export type { BrokerOption, EventBusOptions, EventBusSettings, HistoryOptions, QueueOptions, TlsOptions } from './bus/options.js';
export type { BusHealth, ConsumerHealth, HealthError, HealthStatus } from './bus/health.js';
export type { RetryPolicy } from './core/retry-policy.js';
export type { TelemetryOptions, TelemetryTracerProvider, TelemetryMeterProvider } from './telemetry/telemetry-options.js';
export type { Handler, HandlerFn, HandlerObject, HandlerResult } from './core/handler.js';
export type { HandlerContext } from './core/handler-context.js';
export type { PublishOptions, HeaderValue } from './transport/publish-options.js';
export type { Outcome, Settlement, HandlerFailure, HandlerTiming, Failed } from './core/outcome.js';
// eslint-disable-next-line @typescript-eslint/no-deprecated -- DeadLetterHeader stays exported under its first name for existing users
export { RxPubsubHeader, DeadLetterHeader } from './core/headers.js';
// Dead letters: what failed and why, replay, purge (issue 13)
export {
  deadLetters,
  type DeadLetters,
  type DeadLettersOptions,
  type DeadLetterEntry,
  type DeadLetterFilter,
  type DeadLetterGroup,
  type DeadLetterStats,
  type PeekOptions,
  type StatsOptions,
  type DeadLetterReplayOptions,
  type DeadLetterReplayProgress,
  type PurgeOptions,
  type PurgeResult,
} from './dead-letters/dead-letters.js';
// Events and the catalog
export { createEvent, routingKeyOf, type Event, type EventInit } from './event/event.js';
export { defineEvent, type EventDefinition, type EventFields } from './event/define-event.js';
export type { AnyEventDefinition, EventDefinitionOptions, EventOf, SchemaData } from './event/define-event.js';
export { createCatalog, type EventCatalog } from './event/catalog.js';
export { EventValidationError } from './event/event-validation-error.js';
export type { Json } from './event/json.js';
export type { StandardSchemaV1 } from './event/standard-schema.js';
export type { Upcaster, Upcasters } from './event/upcast.js';
export type { CatalogEvent, PublishableEvent } from './typing/catalog-event.js';
export type { CatalogPattern, EventsMatching, RoutingKeyOf } from './typing/events-matching.js';
export type { GlobMatch } from './typing/glob-match.js';
// Limits
export { EVENT_LIMITS } from './event/event-limits.js';
export { MAX_DATA_DEPTH } from './event/json.js';
export { PATTERN_LIMITS } from './routing/pattern.js';
// Errors and the logger
export { RxPubsubError, ConfigError, ConnectionError, PublishError, DeliveryError, ErrorCode, isRxPubsubError } from './errors.js';
export { consoleLogger, silentLogger, type Logger, type LogFields } from './logger.js';
// A transport of your own (the `transport` option)
export type {
  Transport,
  QueueConsumer,
  ConsumerStatus,
  PublisherStatus,
  Delivery,
  ConnectionState,
  OutboundMessage,
  MessageProperties,
  ConsumerSpec,
  QueueSpec,
  HistoryLog,
  HistorySpec,
  HistoryFrom,
  HistoryReadOptions,
  HistoryRecord,
} from './transport/transport.js';
