import { ConnectionError, ErrorCode } from '../../errors.js';
import { closedError } from '../closed-error.js';
import type { QueueDeclaration } from '../queue-topology.js';
import { checkDeclaration, differencesOf, queueTypeConflict } from './check-declaration.js';
import type { MemoryConnection } from './memory-connection.js';
import { MemoryQueue, type QueueHost } from './memory-queue.js';
import { MemoryStream } from './memory-stream.js';
import { TopicExchange } from './topic-exchange.js';

/** The exchanges, queues and bindings of a {@link MemoryBroker}, declared as on RabbitMQ. */
export interface MemoryBrokerTopology {
  /** Declares a durable topic exchange; idempotent. */
  declareExchange(name: string): void;
  /**
   * Declares a queue, or checks an existing one.
   *
   * @throws {ConnectionError} `TOPOLOGY_FAILED` when it exists with other flags or
   * arguments (RabbitMQ's PRECONDITION_FAILED), or is exclusive to another connection.
   */
  declareQueue(name: string, declaration: QueueDeclaration, connection?: MemoryConnection): void;
  /**
   * Binds a queue to a topic exchange; idempotent.
   *
   * @throws {ConnectionError} `TOPOLOGY_FAILED` when the exchange or the queue does not exist.
   */
  bind(exchange: string, queue: string, key: string): void;
  /** Removes a binding; a missing exchange, queue or binding is not an error. */
  unbind(exchange: string, queue: string, key: string): boolean;
  /**
   * Deletes a queue with its messages and bindings. Its consumers are
   * cancelled (their sinks hear `'deleted'`); their unacked deliveries settle
   * as dropped.
   */
  deleteQueue(name: string): boolean;
  /** Whether the exchange exists (the default exchange `''` always does). */
  hasExchange(name: string): boolean;
  /** Whether the queue exists. */
  hasQueue(name: string): boolean;
  /** Every queue's name, in the order they were declared. */
  queueNames(): string[];
}

const NO_QUEUES: readonly MemoryQueue[] = [];

/** The topology of one broker: its exchanges and queues by name, and where a routing key goes. */
export class MemoryTopology implements MemoryBrokerTopology {
  private readonly exchanges = new Map<string, TopicExchange>();
  private readonly queues = new Map<string, MemoryQueue>();

  /** `host` is what its queues get of the broker. */
  constructor(private readonly host: QueueHost) {}

  declareExchange(name: string): void {
    if (name !== '' && !this.exchanges.has(name)) this.exchanges.set(name, new TopicExchange());
  }

  declareQueue(name: string, declaration: QueueDeclaration, connection?: MemoryConnection): void {
    if (connection?.closed) throw closedError();
    checkDeclaration(name, declaration);
    const existing = this.queues.get(name);
    if (existing !== undefined) {
      checkExclusive(existing, connection);
      const conflict = queueTypeConflict(name, existing.declaration, declaration);
      if (conflict !== undefined) throw conflict;
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
    const declared = { ...declaration, arguments: { ...declaration.arguments } };
    const queue =
      declared.arguments['x-queue-type'] === 'stream'
        ? new MemoryStream(this.host, name, declared)
        : new MemoryQueue(this.host, name, declared, owner);
    this.queues.set(name, queue);
    owner?.own(queue);
  }

  bind(exchange: string, queue: string, key: string): void {
    this.topicExchange(exchange).bind(this.existingQueue(queue), key);
  }

  unbind(exchange: string, queue: string, key: string): boolean {
    const bound = this.queues.get(queue);
    return bound !== undefined && (this.exchanges.get(exchange)?.unbind(bound, key) ?? false);
  }

  deleteQueue(name: string): boolean {
    const queue = this.queues.get(name);
    if (queue === undefined) return false;
    this.queues.delete(name);
    for (const exchange of this.exchanges.values()) exchange.removeQueue(queue);
    queue.delete();
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

  queue(name: string): MemoryQueue | undefined {
    return this.queues.get(name);
  }

  allQueues(): Iterable<MemoryQueue> {
    return this.queues.values();
  }

  allExchanges(): Iterable<[string, TopicExchange]> {
    return this.exchanges;
  }

  /**
   * The queue a consumer on `connection` may read.
   *
   * @throws {ConnectionError} `TOPOLOGY_FAILED` when it does not exist or is exclusive to another connection.
   */
  consumable(name: string, connection: MemoryConnection): MemoryQueue {
    const queue = this.existingQueue(name);
    checkExclusive(queue, connection);
    return queue;
  }

  /** The queues a message reaches; `undefined`: no such exchange. The default exchange routes by queue name. */
  match(exchange: string, routingKey: string): readonly MemoryQueue[] | undefined {
    if (exchange === '') {
      const queue = this.queues.get(routingKey);
      return queue === undefined ? NO_QUEUES : [queue];
    }
    return this.exchanges.get(exchange)?.match(routingKey);
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
    if (queue === undefined)
      throw new ConnectionError(ErrorCode.TOPOLOGY_FAILED, `Queue "${name}" does not exist (NOT_FOUND); declare it first`);
    return queue;
  }
}

function checkExclusive(queue: MemoryQueue, connection: MemoryConnection | undefined): void {
  if (queue.owner !== undefined && queue.owner !== connection) {
    throw new ConnectionError(ErrorCode.TOPOLOGY_FAILED, `Queue "${queue.name}" is exclusive to another connection (RESOURCE_LOCKED)`);
  }
}
