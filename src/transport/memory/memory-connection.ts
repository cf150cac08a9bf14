import type { MemoryConsumer } from './memory-consumer.js';
import type { MemoryQueue } from './memory-queue.js';

/**
 * What the broker tells a client about its connection, as RabbitMQ does with
 * `connection.close`, `connection.blocked` and `connection.unblocked`.
 * Listeners must not throw.
 */
export interface ConnectionListener {
  /** The broker closed the connection (`close_all_connections`); the client never closed it. */
  closedByBroker(reason: string): void;
  /** A resource alarm: publishes from this connection are held until `unblocked`. */
  blocked(reason: string): void;
  unblocked(): void;
}

let nextId = 0;

/** One client of a broker (a transport); its deliveries die with it. */
export class MemoryConnection {
  /** Unique in the process, for inspection. */
  readonly id = ++nextId;
  private isClosed = false;
  /** Active consumers, and cancelled ones still holding unacked deliveries. */
  private readonly consumers = new Set<MemoryConsumer>();
  private readonly exclusiveQueues = new Set<MemoryQueue>();

  constructor(
    /** @internal */
    readonly listener: ConnectionListener | undefined,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  /** @internal A consumer on this connection, until it is cancelled and holds nothing. */
  track(consumer: MemoryConsumer): void {
    this.consumers.add(consumer);
  }

  /** @internal */
  forget(consumer: MemoryConsumer): void {
    this.consumers.delete(consumer);
  }

  /** @internal An exclusive queue it owns: deleted when it closes. */
  own(queue: MemoryQueue): void {
    this.exclusiveQueues.add(queue);
  }

  /** @internal */
  disown(queue: MemoryQueue): void {
    this.exclusiveQueues.delete(queue);
  }

  /**
   * @internal Marks it closed; returns its consumers and exclusive queues, for
   * the broker to requeue and delete. Empty when it was closed already.
   */
  close(): { readonly consumers: MemoryConsumer[]; readonly exclusiveQueues: MemoryQueue[] } {
    if (this.isClosed) return { consumers: [], exclusiveQueues: [] };
    this.isClosed = true;
    const consumers = [...this.consumers];
    this.consumers.clear();
    return { consumers, exclusiveQueues: [...this.exclusiveQueues] };
  }
}
