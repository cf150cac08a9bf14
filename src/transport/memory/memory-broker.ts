import { ConnectionError, ErrorCode } from '../../errors.js';
import type { MessageProperties } from '../transport.js';
import { MemoryConsumer, MemoryDelivery, type DeliverySink } from './memory-consumer.js';
import { differencesOf, MemoryQueue, type QueueDeclaration } from './memory-queue.js';
import { TopicExchange } from './topic-exchange.js';

export type { QueueDeclaration } from './memory-queue.js';

/** What a publish did: routed to at least one queue, to none, or hit a missing exchange. */
export type PublishOutcome = 'routed' | 'unroutable' | 'no-exchange';

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

/** One client of a broker (a transport); its deliveries die with it. */
export class MemoryConnection {
  /** @internal */
  closed = false;
  /** @internal Active consumers, and cancelled ones still holding unacked deliveries. */
  readonly consumers = new Set<MemoryConsumer>();
  /** @internal */
  readonly exclusiveQueues = new Set<MemoryQueue>();
}

// Captured at load so that a test's fake timers cannot freeze the broker: it stands for a network peer.
const defer = globalThis.setImmediate;
/** Deliveries per queue per flush, before yielding to I/O and timers. */
const BATCH = 8_192;
const NO_QUEUES: readonly MemoryQueue[] = [];

/**
 * An in-process AMQP-like broker: durable topic exchanges, the default
 * exchange, FIFO queues with dead-lettering, competing consumers with
 * prefetch, ack/nack/requeue. Deliveries are dispatched in batches on a later
 * turn of the event loop, never inside `publish`, as a network broker would.
 *
 * Brokers are process-wide by name: every `memory://NAME` transport of the
 * process shares `MemoryBroker.named(NAME)`.
 *
 * | event                            | effect                                              |
 * |----------------------------------|-----------------------------------------------------|
 * | `ack()`                          | message removed                                     |
 * | `nack(true)`                     | back to the head of the queue, `redelivered: true`  |
 * | `nack(false)`                    | to the queue's dead-letter exchange, or dropped     |
 * | consumer cancelled               | its unacked deliveries stay settleable              |
 * | connection closed                | its unacked deliveries requeued, later settles dropped |
 * | queue deleted                    | messages dropped, consumers cancelled, settles dropped |
 */
export class MemoryBroker {
  private static readonly registry = new Map<string, MemoryBroker>();

  /** The broker of `memory://name`, created on first use. */
  static named(name: string): MemoryBroker {
    let broker = MemoryBroker.registry.get(name);
    if (broker === undefined) {
      broker = new MemoryBroker(name);
      MemoryBroker.registry.set(name, broker);
    }
    return broker;
  }

  /**
   * Forgets the broker of `name`: the next `named(name)` starts empty.
   * Transports already holding it keep working on the old one.
   */
  static reset(name: string): boolean {
    return MemoryBroker.registry.delete(name);
  }

  private readonly exchanges = new Map<string, TopicExchange>();
  private readonly queues = new Map<string, MemoryQueue>();
  private dirty: MemoryQueue[] = [];
  private flushScheduled = false;

  constructor(readonly name: string) {}

  /** Opens a connection, the unit that owns consumers, unacked deliveries and exclusive queues. */
  connect(): MemoryConnection {
    return new MemoryConnection();
  }

  /** Cancels the connection's consumers, requeues its unacked deliveries and deletes its exclusive queues. */
  disconnect(connection: MemoryConnection): void {
    if (connection.closed) return;
    connection.closed = true;
    const consumers = [...connection.consumers];
    connection.consumers.clear();
    for (const consumer of consumers) consumer.connectionClosed();
    for (const queue of [...connection.exclusiveQueues]) if (this.queues.get(queue.name) === queue) this.deleteQueue(queue.name);
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
    queue.owner?.exclusiveQueues.delete(queue);
    for (const exchange of this.exchanges.values()) exchange.removeQueue(queue);
    const consumers = queue.consumers;
    queue.consumers = [];
    for (const consumer of consumers) consumer.queueDeleted();
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
      defer(this.flush);
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
