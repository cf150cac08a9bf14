import type { SchedulerLike } from 'rxjs';
import { closedError } from '../closed-error.js';
import type { QueueDeclaration } from '../queue-topology.js';
import type { MessageProperties } from '../transport.js';
import { type CancelTimer, clockOf, type MemoryClock, realClock } from './memory-clock.js';
import { type ConnectionListener, MemoryConnection } from './memory-connection.js';
import { MemoryConsumer, MemoryDelivery, type DeliverySink } from './memory-consumer.js';
import { MemoryDispatch } from './memory-dispatch.js';
import { type MemoryBrokerFaults, MemoryFaults } from './memory-faults.js';
import {
  copyProperties,
  type MemoryBinding,
  type MemoryBrokerInspection,
  type MemoryConsumerInfo,
  MemoryInspection,
  type MemoryMessage,
} from './memory-inspection.js';
import type { MemoryQueue } from './memory-queue.js';
import { type MemoryBrokerTopology, MemoryTopology } from './memory-topology.js';
import { PeerTimers } from './peer-timers.js';

export type { ConnectionListener } from './memory-connection.js';
export { MemoryConnection } from './memory-connection.js';
export type { QueueDeclaration } from '../queue-topology.js';
export type { MemoryBinding, MemoryBrokerInspection, MemoryConsumerInfo, MemoryMessage } from './memory-inspection.js';
export type { MemoryBrokerFaults } from './memory-faults.js';
export type { MemoryBrokerTopology } from './memory-topology.js';

/** What a publish did: routed to at least one queue, to none, hit a missing exchange, or was refused (a nack). */
export type PublishOutcome = 'routed' | 'unroutable' | 'no-exchange' | 'refused';

/** Options of {@link MemoryBroker.named}. */
export interface MemoryBrokerOptions {
  /** Runs the broker on this scheduler's time line; see {@link MemoryBroker.setScheduler}. */
  readonly scheduler?: SchedulerLike | undefined;
}

const NO_QUEUES: readonly MemoryQueue[] = [];

/**
 * An in-process AMQP-like broker: durable topic exchanges, the default
 * exchange, FIFO queues with dead-lettering and message TTLs, quorum queues
 * that count redeliveries, competing consumers with prefetch (or a single
 * active one, `x-single-active-consumer`), ack/nack/requeue. Deliveries are dispatched in batches on a later turn of
 * the event loop (of its clock), never inside `publish`, as a network broker
 * would.
 *
 * Brokers are process-wide by name: every `memory://NAME` transport of the
 * process shares `MemoryBroker.named(NAME)`.
 *
 * | event                            | effect                                              |
 * |----------------------------------|-----------------------------------------------------|
 * | `ack()`                          | message removed                                     |
 * | `nack(true)`                     | back to the head of the queue, `redelivered: true`  |
 * | `nack(false)`                    | to the queue's dead-letter exchange, or dropped     |
 * | TTL passed at the head           | to the queue's dead-letter exchange, or dropped     |
 * | consumer cancelled               | its unacked deliveries stay settleable              |
 * | connection closed                | its unacked deliveries requeued, later settles dropped |
 * | queue deleted                    | messages dropped, consumers cancelled, settles dropped |
 *
 * A redelivery from a quorum queue carries header `x-delivery-count`, the
 * number of earlier deliveries of that message (RabbitMQ 3.10+).
 *
 * Its methods come in three groups, each implemented in a file of its own:
 * topology (`declareQueue`, `bind`, `hasQueue`...), fault injection for tests
 * (`dropConnections`, `block`, `delayDeliveries`...) and inspection
 * (`queueDepth`, `peek`, `consumers`...). Virtual time:
 * {@link MemoryBroker.setScheduler}. Tests usually reach it through
 * {@link memoryBroker} or {@link testBus}.
 */
// Not `implements QueueHost`: its members are internal, stripped from the published declarations, which would break.
export class MemoryBroker implements MemoryBrokerTopology, MemoryBrokerFaults, MemoryBrokerInspection {
  private static readonly registry = new Map<string, MemoryBroker>();

  /**
   * The broker of `memory://name`, created on first use. With
   * `options.scheduler`, it (also an existing broker) runs on that scheduler.
   *
   * @example
   * const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
   * const broker = MemoryBroker.named('orders-test', { scheduler });
   */
  static named(name: string, options: MemoryBrokerOptions = {}): MemoryBroker {
    let broker = MemoryBroker.registry.get(name);
    if (broker === undefined) {
      broker = new MemoryBroker(name);
      MemoryBroker.registry.set(name, broker);
    }
    if (options.scheduler !== undefined) broker.setScheduler(options.scheduler);
    return broker;
  }

  /**
   * Forgets the broker of `name`: the next `named(name)` starts empty.
   * Transports already holding it keep working on the old one.
   */
  static reset(name: string): boolean {
    return MemoryBroker.registry.delete(name);
  }

  private readonly topology = new MemoryTopology(this);
  private readonly connections = new Set<MemoryConnection>();
  private readonly dispatch = new MemoryDispatch();
  private readonly peerTimers = new PeerTimers();
  private readonly faults = new MemoryFaults({
    openConnections: () => [...this.connections],
    disconnect: (connection) => this.disconnect(connection),
    queue: (name) => this.topology.queue(name),
    delayDispatch: (ms) => this.dispatch.delay(ms),
  });
  private readonly inspection = new MemoryInspection({
    queue: (name) => this.topology.queue(name),
    exchanges: () => this.topology.allExchanges(),
  });

  /** Prefer {@link MemoryBroker.named}: a broker made with `new` is reachable by no `memory://` URL. */
  constructor(
    /** Its name: the `NAME` of `memory://NAME`. */
    readonly name: string,
  ) {}

  /** @internal Dispatch turns, TTLs and the transports' reconnects and publish timeouts run on it. */
  get clock(): MemoryClock {
    return this.dispatch.clock;
  }

  /**
   * Moves the broker onto an RxJS scheduler's time line, or back to the event
   * loop with `undefined` (the default: `setImmediate`/`setTimeout` as they
   * were when this module loaded, so a test's fake timers cannot freeze it).
   * Dispatch turns, message TTLs, {@link MemoryBroker.delayDeliveries}, and its transports'
   * reconnects and publish timeouts then run when that scheduler runs them:
   * with a `TestScheduler`, in virtual time, on its `flush()` (or inside
   * `run()`). Publishing and settling stay synchronous calls; the Promises
   * they return still resolve on the microtask queue.
   *
   * Set it before use: TTL timers move to the new clock, a dispatch turn
   * already scheduled on the old one runs there too.
   */
  setScheduler(scheduler: SchedulerLike | undefined): void {
    this.dispatch.setClock(scheduler === undefined ? realClock : clockOf(scheduler));
    for (const queue of this.topology.allQueues()) queue.clockChanged();
  }

  /**
   * Opens a connection, the unit that owns consumers, unacked deliveries and
   * exclusive queues. `listener` hears what the broker does to it.
   */
  connect(listener?: ConnectionListener): MemoryConnection {
    const connection = new MemoryConnection(listener);
    this.connections.add(connection);
    this.peerTimers.hold(true);
    return connection;
  }

  /** Cancels the connection's consumers, requeues its unacked deliveries and deletes its exclusive queues. */
  disconnect(connection: MemoryConnection): void {
    const { consumers, exclusiveQueues } = connection.close();
    this.connections.delete(connection);
    if (this.connections.size === 0) this.peerTimers.hold(false);
    for (const consumer of consumers) consumer.connectionClosed();
    for (const queue of exclusiveQueues) if (this.topology.queue(queue.name) === queue) this.deleteQueue(queue.name);
  }

  /**
   * Routes a message to every matching queue. The properties are copied once
   * and shared by every queue; the body Buffer is delivered as is, not copied
   * (a copy per message halves throughput), so neither side may mutate it.
   */
  publish(exchange: string, routingKey: string, body: Buffer, properties: MessageProperties): PublishOutcome {
    if (this.faults.refusesPublish()) return 'refused';
    const queues = this.topology.match(exchange, routingKey);
    if (queues === undefined) return 'no-exchange';
    if (queues.length === 0) return 'unroutable';
    this.enqueue(queues, exchange, routingKey, body, copyProperties(properties));
    return 'routed';
  }

  /** @internal Routes without copying, for dead-lettering; returns the number of queues reached. */
  route(exchange: string, routingKey: string, body: Buffer, properties: MessageProperties): number {
    const queues = this.topology.match(exchange, routingKey) ?? NO_QUEUES;
    this.enqueue(queues, exchange, routingKey, body, properties);
    return queues.length;
  }

  /** @internal A TTL timer: on the event loop it holds the process only while a connection is open (see PeerTimers). */
  expiryTimer(work: () => void, delayMs: number): CancelTimer {
    const clock = this.clock;
    return clock === realClock ? this.peerTimers.timer(work, delayMs) : clock.timer(work, delayMs);
  }

  /** @internal Asks for a dispatch turn of `queue`. */
  schedule(queue: MemoryQueue): void {
    this.dispatch.schedule(queue);
  }

  /**
   * Starts a consumer on a queue.
   *
   * @throws {ConnectionError} `CLOSED` on a closed connection; `TOPOLOGY_FAILED`
   * when the queue does not exist or is exclusive to another connection.
   */
  consume(queue: string, connection: MemoryConnection, prefetch: number, sink: DeliverySink): MemoryConsumer {
    if (connection.closed) throw closedError();
    const source = this.topology.consumable(queue, connection);
    const consumer = new MemoryConsumer(source, connection, prefetch, sink);
    connection.track(consumer);
    source.addConsumer(consumer);
    return consumer;
  }

  // Topology, documented on MemoryBrokerTopology.
  declareExchange(name: string): void {
    this.topology.declareExchange(name);
  }

  declareQueue(name: string, declaration: QueueDeclaration, connection?: MemoryConnection): void {
    this.topology.declareQueue(name, declaration, connection);
  }

  bind(exchange: string, queue: string, key: string): void {
    this.topology.bind(exchange, queue, key);
  }

  unbind(exchange: string, queue: string, key: string): boolean {
    return this.topology.unbind(exchange, queue, key);
  }

  deleteQueue(name: string): boolean {
    return this.topology.deleteQueue(name);
  }

  hasExchange(name: string): boolean {
    return this.topology.hasExchange(name);
  }

  hasQueue(name: string): boolean {
    return this.topology.hasQueue(name);
  }

  queueNames(): string[] {
    return this.topology.queueNames();
  }

  /** Open connections: one per open transport. */
  connectionCount(): number {
    return this.connections.size;
  }

  // Faults, documented on MemoryBrokerFaults.
  dropConnections(reason?: string): number {
    return this.faults.dropConnections(reason);
  }

  refuseNextPublish(reason?: string): void {
    this.faults.refuseNextPublish(reason);
  }

  cancelConsumers(queue: string): number {
    return this.faults.cancelConsumers(queue);
  }

  block(reason?: string): void {
    this.faults.block(reason);
  }

  unblock(): void {
    this.faults.unblock();
  }

  get blockReason(): string | undefined {
    return this.faults.blockReason;
  }

  delayDeliveries(ms: number): void {
    this.faults.delayDeliveries(ms);
  }

  /** @internal Why the last `'refused'` publish was refused. */
  get lastRefusal(): string {
    return this.faults.lastRefusal;
  }

  // Inspection, documented on MemoryBrokerInspection.
  queueDepth(name: string): number {
    return this.inspection.queueDepth(name);
  }

  unackedCount(name: string): number {
    return this.inspection.unackedCount(name);
  }

  consumerCount(name: string): number {
    return this.inspection.consumerCount(name);
  }

  bindings(name: string): MemoryBinding[] {
    return this.inspection.bindings(name);
  }

  consumers(queue: string): MemoryConsumerInfo[] {
    return this.inspection.consumers(queue);
  }

  queueDeclaration(name: string): QueueDeclaration | undefined {
    return this.inspection.queueDeclaration(name);
  }

  peek(name: string): MemoryMessage[] {
    return this.inspection.peek(name);
  }

  private enqueue(queues: readonly MemoryQueue[], exchange: string, key: string, body: Buffer, properties: MessageProperties): void {
    for (const queue of queues) queue.enqueue(new MemoryDelivery(exchange, key, body, properties, false));
  }
}
