import type { SchedulerLike } from 'rxjs';
import { ConfigError, ConnectionError, ErrorCode } from '../../errors.js';
import type { MessageProperties } from '../transport.js';
import { clockOf, type MemoryClock, realClock } from './memory-clock.js';
import { type ConnectionListener, MemoryConnection } from './memory-connection.js';
import { MemoryConsumer, MemoryDelivery, type DeliverySink } from './memory-consumer.js';
import { checkDeclaration, differencesOf, MemoryQueue, type QueueDeclaration } from './memory-queue.js';
import { TopicExchange } from './topic-exchange.js';

export type { ConnectionListener } from './memory-connection.js';
export { MemoryConnection } from './memory-connection.js';
export type { QueueDeclaration } from './memory-queue.js';

/** What a publish did: routed to at least one queue, to none, hit a missing exchange, or was refused (a nack). */
export type PublishOutcome = 'routed' | 'unroutable' | 'no-exchange' | 'refused';

/** A copy of a message waiting in a queue, for inspection. */
export interface MemoryMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  readonly properties: MessageProperties;
  readonly redelivered: boolean;
}

/** A binding of a queue to a topic exchange. */
export interface MemoryBinding {
  readonly exchange: string;
  readonly routingKey: string;
}

/** A consumer of a queue, as the management UI lists it. */
export interface MemoryConsumerInfo {
  readonly tag: string;
  /** The {@link MemoryConnection.id} it consumes on. */
  readonly connection: number;
  /** 0 means no limit. */
  readonly prefetch: number;
  /** Deliveries it holds and has not settled. */
  readonly unacked: number;
}

/** Options of {@link MemoryBroker.named}. */
export interface MemoryBrokerOptions {
  /** Runs the broker on this scheduler's time line; see {@link MemoryBroker.setScheduler}. */
  readonly scheduler?: SchedulerLike | undefined;
}

/** Deliveries per queue per flush, before yielding to I/O and timers. */
const BATCH = 8_192;
const NO_QUEUES: readonly MemoryQueue[] = [];
/** What `rabbitmqctl close_all_connections` says, by default. */
const FORCED = 'CONNECTION_FORCED - closed by the memory broker';

/**
 * An in-process AMQP-like broker: durable topic exchanges, the default
 * exchange, FIFO queues with dead-lettering and message TTLs, quorum queues
 * that count redeliveries, competing consumers with prefetch,
 * ack/nack/requeue. Deliveries are dispatched in batches on a later turn of
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
 * Fault injection, for tests: {@link MemoryBroker.dropConnections},
 * {@link MemoryBroker.refuseNextPublish}, {@link MemoryBroker.cancelConsumers},
 * {@link MemoryBroker.block}/{@link MemoryBroker.unblock},
 * {@link MemoryBroker.delayDeliveries}. Virtual time: {@link MemoryBroker.setScheduler}.
 */
export class MemoryBroker {
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

  /** @internal Dispatch turns, TTLs and the transports' reconnects and publish timeouts run on it. */
  clock: MemoryClock = realClock;
  private readonly exchanges = new Map<string, TopicExchange>();
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly connections = new Set<MemoryConnection>();
  private dirty: MemoryQueue[] = [];
  private flushScheduled = false;
  private dispatchDelay = 0;
  private readonly refusals: string[] = [];
  private blockedBy: string | undefined;
  /** @internal Why the last `'refused'` publish was refused. */
  lastRefusal = '';

  constructor(readonly name: string) {}

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
    this.clock = scheduler === undefined ? realClock : clockOf(scheduler);
    for (const queue of this.queues.values()) queue.clockChanged();
    if (this.flushScheduled) this.clock.schedule(this.flush, this.dispatchDelay);
  }

  /**
   * Opens a connection, the unit that owns consumers, unacked deliveries and
   * exclusive queues. `listener` hears what the broker does to it.
   */
  connect(listener?: ConnectionListener): MemoryConnection {
    const connection = new MemoryConnection(listener);
    this.connections.add(connection);
    return connection;
  }

  /** Cancels the connection's consumers, requeues its unacked deliveries and deletes its exclusive queues. */
  disconnect(connection: MemoryConnection): void {
    if (connection.closed) return;
    connection.closed = true;
    this.connections.delete(connection);
    const consumers = [...connection.consumers];
    connection.consumers.clear();
    for (const consumer of consumers) consumer.connectionClosed();
    for (const queue of [...connection.exclusiveQueues]) if (this.queues.get(queue.name) === queue) this.deleteQueue(queue.name);
  }

  /**
   * Fault: closes every connection from the broker's side, like
   * `rabbitmqctl close_all_connections`. Their unacked deliveries are
   * requeued (redelivered, counted on quorum queues) and later settles of
   * them dropped; their exclusive queues are deleted. A `MemoryTransport`
   * then emits `disconnected` with `reason`, reconnects on the next turn of
   * the broker's clock, declares its topology again and consumes again.
   *
   * @returns the number of connections closed.
   */
  dropConnections(reason: string = FORCED): number {
    const dropped = [...this.connections];
    for (const connection of dropped) this.disconnect(connection);
    for (const connection of dropped) connection.listener?.closedByBroker(reason);
    return dropped.length;
  }

  /**
   * Fault: the next publish that reaches the broker (any exchange, any
   * connection) is refused, as a `basic.nack` of its confirm would: a
   * transport rejects it with `PublishError` `PUBLISH_REFUSED` naming
   * `reason`, and the message is not routed. Calls add up: two calls refuse
   * the next two publishes.
   */
  refuseNextPublish(reason = 'the broker nacked it'): void {
    this.refusals.push(reason);
  }

  /**
   * Fault: the broker cancels every consumer of `queue` and keeps the queue
   * and its messages (RabbitMQ's `basic.cancel`, as on a quorum leader
   * failover). Their unacked deliveries stay settleable. A transport consumes
   * again on the next turn, as it does after a deleted queue.
   *
   * @returns the number of consumers cancelled; 0 for an unknown queue.
   */
  cancelConsumers(queue: string): number {
    const source = this.queues.get(queue);
    if (source === undefined) return 0;
    const consumers = source.consumers;
    source.consumers = [];
    for (const consumer of consumers) consumer.cancelledByBroker('cancelled');
    return consumers.length;
  }

  /**
   * Fault: a resource alarm (RabbitMQ's memory or disk alarm, as
   * `set_vm_memory_high_watermark` triggers). Every connection hears
   * `connection.blocked`: a transport emits `{ status: 'blocked', reason }`
   * and holds its publishes (their Promises stay pending, each bounded by its
   * `timeoutMs`) until {@link MemoryBroker.unblock}. Consuming and settling go on.
   * Connections opened meanwhile start blocked.
   */
  block(reason = 'low on memory'): void {
    this.blockedBy = reason;
    for (const connection of [...this.connections]) connection.listener?.blocked(reason);
  }

  /** Ends {@link MemoryBroker.block}: transports emit `connected` again and send what they held, in order. */
  unblock(): void {
    if (this.blockedBy === undefined) return;
    this.blockedBy = undefined;
    for (const connection of [...this.connections]) connection.listener?.unblocked();
  }

  /** Why the broker is blocked, or `undefined` when it is not. */
  get blockReason(): string | undefined {
    return this.blockedBy;
  }

  /**
   * Fault: from now on each dispatch turn runs `ms` (on the broker's clock)
   * after something asked for it (a publish, an ack that freed prefetch, a
   * requeue), as if the broker were `ms` away. Messages that become
   * deliverable while a turn is pending go out in that turn, so they wait
   * less. `0` restores dispatch on the next turn.
   *
   * @throws {ConfigError} `INVALID_ARGUMENT` unless `ms` is a finite number, 0 or more.
   */
  delayDeliveries(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) {
      throw new ConfigError(ErrorCode.INVALID_ARGUMENT, `delayDeliveries(ms): ms must be a finite number of milliseconds, 0 or more (got ${String(ms)})`);
    }
    this.dispatchDelay = ms;
  }

  /** Declares a durable topic exchange; idempotent. */
  declareExchange(name: string): void {
    if (name !== '' && !this.exchanges.has(name)) this.exchanges.set(name, new TopicExchange());
  }

  /**
   * Declares a queue, or checks an existing one.
   *
   * @throws {ConnectionError} `TOPOLOGY_FAILED` when it exists with other flags or
   * arguments (RabbitMQ's PRECONDITION_FAILED), or is exclusive to another connection.
   */
  declareQueue(name: string, declaration: QueueDeclaration, connection?: MemoryConnection): void {
    if (connection?.closed) throw closed();
    checkDeclaration(name, declaration);
    const existing = this.queues.get(name);
    if (existing !== undefined) {
      checkExclusive(existing, connection);
      const differences = differencesOf(existing.declaration, declaration);
      if (differences.length > 0) {
        throw new ConnectionError(
          ErrorCode.TOPOLOGY_FAILED,
          `Queue "${name}" already exists with a different ${differences.join(', ')} (PRECONDITION_FAILED); delete it or declare it as it is`,
        );
      }
      return;
    }
    const owner = declaration.exclusive ? connection : undefined;
    const queue = new MemoryQueue(this, name, { ...declaration, arguments: { ...declaration.arguments } }, owner);
    this.queues.set(name, queue);
    owner?.exclusiveQueues.add(queue);
  }

  /**
   * Binds a queue to a topic exchange; idempotent.
   *
   * @throws {ConnectionError} `TOPOLOGY_FAILED` when the exchange or the queue does not exist.
   */
  bind(exchange: string, queue: string, key: string): void {
    this.topicExchange(exchange).bind(this.existingQueue(queue), key);
  }

  /** Removes a binding; a missing exchange, queue or binding is not an error. */
  unbind(exchange: string, queue: string, key: string): boolean {
    const bound = this.queues.get(queue);
    return bound !== undefined && (this.exchanges.get(exchange)?.unbind(bound, key) ?? false);
  }

  /**
   * Routes a message to every matching queue. The properties are copied once
   * and shared by every queue; the body Buffer is delivered as is, not copied
   * (a copy per message halves throughput), so neither side may mutate it.
   */
  publish(exchange: string, routingKey: string, body: Buffer, properties: MessageProperties): PublishOutcome {
    if (this.refusals.length !== 0) {
      this.lastRefusal = this.refusals.shift() as string;
      return 'refused';
    }
    const queues = this.match(exchange, routingKey);
    if (queues === undefined) return 'no-exchange';
    if (queues.length === 0) return 'unroutable';
    this.enqueue(queues, exchange, routingKey, body, copyProperties(properties));
    return 'routed';
  }

  /** @internal Routes without copying, for dead-lettering; returns the number of queues reached. */
  route(exchange: string, routingKey: string, body: Buffer, properties: MessageProperties): number {
    const queues = this.match(exchange, routingKey) ?? NO_QUEUES;
    this.enqueue(queues, exchange, routingKey, body, properties);
    return queues.length;
  }

  /**
   * Starts a consumer on a queue.
   *
   * @throws {ConnectionError} `CLOSED` on a closed connection; `TOPOLOGY_FAILED`
   * when the queue does not exist or is exclusive to another connection.
   */
  consume(queue: string, connection: MemoryConnection, prefetch: number, sink: DeliverySink): MemoryConsumer {
    if (connection.closed) throw closed();
    const source = this.existingQueue(queue);
    checkExclusive(source, connection);
    const consumer = new MemoryConsumer(source, connection, prefetch, sink);
    connection.consumers.add(consumer);
    source.addConsumer(consumer);
    return consumer;
  }

  /**
   * Deletes a queue with its messages and bindings. Its consumers are
   * cancelled (their sinks hear `'deleted'`); their unacked deliveries settle
   * as dropped.
   */
  deleteQueue(name: string): boolean {
    const queue = this.queues.get(name);
    if (queue === undefined) return false;
    this.queues.delete(name);
    queue.deleted = true;
    queue.ready.clear();
    queue.dispose();
    queue.owner?.exclusiveQueues.delete(queue);
    for (const exchange of this.exchanges.values()) exchange.removeQueue(queue);
    const consumers = queue.consumers;
    queue.consumers = [];
    for (const consumer of consumers) consumer.cancelledByBroker('deleted');
    return true;
  }

  hasExchange(name: string): boolean {
    return name === '' || this.exchanges.has(name);
  }

  hasQueue(name: string): boolean {
    return this.queues.has(name);
  }

  queueNames(): string[] {
    return [...this.queues.keys()];
  }

  /** Messages waiting for a consumer (not the unacked ones); 0 for an unknown queue. */
  queueDepth(name: string): number {
    return this.queues.get(name)?.ready.length ?? 0;
  }

  /** Deliveries consumers hold and have not settled; 0 for an unknown queue. */
  unackedCount(name: string): number {
    return this.queues.get(name)?.unacked ?? 0;
  }

  /** Active consumers; 0 for an unknown queue. */
  consumerCount(name: string): number {
    return this.queues.get(name)?.consumers.length ?? 0;
  }

  /** The queue's bindings to topic exchanges (the default exchange's implicit one is left out). */
  bindings(name: string): MemoryBinding[] {
    const queue = this.queues.get(name);
    const out: MemoryBinding[] = [];
    for (const [exchange, topic] of this.exchanges) {
      for (const binding of topic.bindings) if (binding.queue === queue) out.push({ exchange, routingKey: binding.key });
    }
    return out;
  }

  /** Open connections: one per open transport. */
  connectionCount(): number {
    return this.connections.size;
  }

  /** The active consumers of a queue, in the order they are served; empty for an unknown queue. */
  consumers(queue: string): MemoryConsumerInfo[] {
    return (this.queues.get(queue)?.consumers ?? []).map(({ tag, connection, prefetch, unacked }) => ({ tag, connection: connection.id, prefetch, unacked }));
  }

  /** How the queue was declared (flags and arguments, copied), or `undefined` when it does not exist. */
  queueDeclaration(name: string): QueueDeclaration | undefined {
    const declaration = this.queues.get(name)?.declaration;
    return declaration === undefined ? undefined : { ...declaration, arguments: { ...declaration.arguments } };
  }

  /** Copies of the waiting messages, head first. */
  peek(name: string): MemoryMessage[] {
    const queue = this.queues.get(name);
    if (queue === undefined) return [];
    return queue.ready.toArray().map((message) => ({
      exchange: message.exchange,
      routingKey: message.routingKey,
      body: Buffer.from(message.body),
      properties: copyProperties(message.properties),
      redelivered: message.redelivered,
    }));
  }

  /** @internal Asks for a dispatch of `queue` on a later turn; many calls, one flush. */
  schedule(queue: MemoryQueue): void {
    if (queue.pending || queue.draining || queue.deleted) return;
    queue.pending = true;
    this.dirty.push(queue);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.clock.schedule(this.flush, this.dispatchDelay);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const dirty = this.dirty;
    this.dirty = [];
    for (const queue of dirty) {
      queue.pending = false;
      if (!queue.drain(BATCH)) this.schedule(queue);
    }
  };

  // undefined: no such exchange. The default exchange routes by queue name.
  private match(exchange: string, routingKey: string): readonly MemoryQueue[] | undefined {
    if (exchange === '') {
      const queue = this.queues.get(routingKey);
      return queue === undefined ? NO_QUEUES : [queue];
    }
    return this.exchanges.get(exchange)?.match(routingKey);
  }

  private enqueue(queues: readonly MemoryQueue[], exchange: string, routingKey: string, body: Buffer, properties: MessageProperties): void {
    for (const queue of queues) queue.enqueue(new MemoryDelivery(exchange, routingKey, body, properties, false));
  }

  private topicExchange(name: string): TopicExchange {
    const exchange = this.exchanges.get(name);
    if (exchange === undefined) {
      throw new ConnectionError(ErrorCode.TOPOLOGY_FAILED, `Exchange "${name}" does not exist (NOT_FOUND); declare it first`);
    }
    return exchange;
  }

  private existingQueue(name: string): MemoryQueue {
    const queue = this.queues.get(name);
    if (queue === undefined) throw new ConnectionError(ErrorCode.TOPOLOGY_FAILED, `Queue "${name}" does not exist (NOT_FOUND); declare it first`);
    return queue;
  }
}

function closed(): ConnectionError {
  return new ConnectionError(ErrorCode.CLOSED, 'The memory connection is closed');
}

function checkExclusive(queue: MemoryQueue, connection: MemoryConnection | undefined): void {
  if (queue.owner !== undefined && queue.owner !== connection) {
    throw new ConnectionError(ErrorCode.TOPOLOGY_FAILED, `Queue "${queue.name}" is exclusive to another connection (RESOURCE_LOCKED)`);
  }
}

// One copy is shared by every queue the message reached. It is not frozen:
// Object.freeze costs five times the copy, and the types are readonly already.
function copyProperties(properties: MessageProperties): MessageProperties {
  const headers = properties.headers;
  return headers === undefined ? { ...properties } : { ...properties, headers: { ...headers } };
}
