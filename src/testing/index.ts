/**
 * `rx-pubsub-amqp/testing`: test your handlers without a broker, and trust that
 * the same tests hold against RabbitMQ.
 *
 * - {@link routeMarbles}: your handlers and patterns on the bus's own delivery
 *   pipeline, in marble time: settlements (`a` ack, `u` unhandled, `r` retry,
 *   `d` dead-letter) and each handler's calls, as Observables.
 * - {@link testBus} and {@link memoryBroker}: a real bus on an in-memory
 *   broker of its own, which you inspect (queues, depths, unacked counts,
 *   dead letters with their reason headers, bindings, consumers) and break
 *   (dropped connections, refused publishes, cancelled consumers, memory
 *   alarms, slow deliveries).
 * - {@link advanceVirtualTime}: that bus in virtual time on a `TestScheduler`.
 */
export { advanceVirtualTime } from './advance-virtual-time.js';
export { type HandlerEntry, routeMarbles, type RouteMarbles, type RouteMarblesOptions } from './route-marbles.js';
export { SettlementLetter, settlementLetter } from './settlement-letter.js';
export { memoryBroker, memoryUrl, testBus, type TestBusOptions } from './test-bus.js';
export {
  MemoryBroker,
  type MemoryBinding,
  type MemoryBrokerOptions,
  type MemoryConsumerInfo,
  type MemoryMessage,
  type PublishOutcome,
  type QueueDeclaration,
} from '../transport/memory/memory-broker.js';
