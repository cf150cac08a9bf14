import { ConfigError, ErrorCode } from '../../errors.js';
import type { MemoryConnection } from './memory-connection.js';
import type { MemoryQueue } from './memory-queue.js';

/** What the faults act on: the broker's connections, queues and dispatch. */
export interface FaultHost {
  openConnections(): readonly MemoryConnection[];
  disconnect(connection: MemoryConnection): void;
  queue(name: string): MemoryQueue | undefined;
  delayDispatch(ms: number): void;
}

/** What `rabbitmqctl close_all_connections` says, by default. */
const FORCED = 'CONNECTION_FORCED - closed by the memory broker';

/** The faults a {@link MemoryBroker} injects for tests, each as RabbitMQ shows it to a client. */
export interface MemoryBrokerFaults {
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
  dropConnections(reason?: string): number;
  /**
   * Fault: the next publish that reaches the broker (any exchange, any
   * connection) is refused, as a `basic.nack` of its confirm would: a
   * transport rejects it with `PublishError` `PUBLISH_REFUSED` naming
   * `reason`, and the message is not routed. Calls add up: two calls refuse
   * the next two publishes.
   */
  refuseNextPublish(reason?: string): void;
  /**
   * Fault: the broker cancels every consumer of `queue` and keeps the queue
   * and its messages (RabbitMQ's `basic.cancel`, as on a quorum leader
   * failover). Their unacked deliveries stay settleable. A transport consumes
   * again on the next turn, as it does after a deleted queue.
   *
   * @returns the number of consumers cancelled; 0 for an unknown queue.
   */
  cancelConsumers(queue: string): number;
  /**
   * Fault: a resource alarm (RabbitMQ's memory or disk alarm, as
   * `set_vm_memory_high_watermark` triggers). Every connection hears
   * `connection.blocked`: a transport emits `{ status: 'blocked', reason }`
   * and holds its publishes (their Promises stay pending, each bounded by its
   * `timeoutMs`) until `unblock()`. Consuming and settling go on.
   * Connections opened meanwhile start blocked.
   */
  block(reason?: string): void;
  /** Ends `block(reason)`: transports emit `connected` again and send what they held, in order. */
  unblock(): void;
  /** Why the broker is blocked, or `undefined` when it is not. */
  readonly blockReason: string | undefined;
  /**
   * Fault: from now on each dispatch turn runs `ms` (on the broker's clock)
   * after something asked for it (a publish, an ack that freed prefetch, a
   * requeue), as if the broker were `ms` away. Messages that become
   * deliverable while a turn is pending go out in that turn, so they wait
   * less. `0` restores dispatch on the next turn.
   *
   * @throws {ConfigError} `INVALID_ARGUMENT` unless `ms` is a finite number, 0 or more.
   */
  delayDeliveries(ms: number): void;
}

/** The faults of one broker: the refusals and the alarm it holds, and what they do to its connections and queues. */
export class MemoryFaults implements MemoryBrokerFaults {
  private readonly refusals: string[] = [];
  private blockedBy: string | undefined;
  /** Why the last refused publish was refused. */
  lastRefusal = '';

  constructor(private readonly host: FaultHost) {}

  get blockReason(): string | undefined {
    return this.blockedBy;
  }

  dropConnections(reason: string = FORCED): number {
    const dropped = this.host.openConnections();
    for (const connection of dropped) this.host.disconnect(connection);
    for (const connection of dropped) connection.listener?.closedByBroker(reason);
    return dropped.length;
  }

  refuseNextPublish(reason = 'the broker nacked it'): void {
    this.refusals.push(reason);
  }

  /** Whether to refuse this publish: a refusal was asked for (its reason is then `lastRefusal`). */
  refusesPublish(): boolean {
    if (this.refusals.length === 0) return false;
    this.lastRefusal = this.refusals.shift() as string;
    return true;
  }

  cancelConsumers(queue: string): number {
    return this.host.queue(queue)?.cancelConsumers('cancelled') ?? 0;
  }

  block(reason = 'low on memory'): void {
    this.blockedBy = reason;
    for (const connection of this.host.openConnections()) connection.listener?.blocked(reason);
  }

  unblock(): void {
    if (this.blockedBy === undefined) return;
    this.blockedBy = undefined;
    for (const connection of this.host.openConnections()) connection.listener?.unblocked();
  }

  delayDeliveries(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) {
      throw new ConfigError(
        ErrorCode.INVALID_ARGUMENT,
        `delayDeliveries(ms): ms must be a finite number of milliseconds, 0 or more (got ${String(ms)})`,
      );
    }
    this.host.delayDispatch(ms);
  }
}
