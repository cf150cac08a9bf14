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
  /** @internal */
  closed = false;
  /** @internal Active consumers, and cancelled ones still holding unacked deliveries. */
  readonly consumers = new Set<MemoryConsumer>();
  /** @internal */
  readonly exclusiveQueues = new Set<MemoryQueue>();

  constructor(
    /** @internal */
    readonly listener: ConnectionListener | undefined,
  ) {}
}
