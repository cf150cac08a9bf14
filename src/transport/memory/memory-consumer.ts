import type { Delivery, MessageProperties } from '../transport.js';
import type { MemoryConnection } from './memory-connection.js';

/** Where a {@link MemoryConsumer} hands its deliveries. It must not throw. */
export interface DeliverySink {
  deliver(delivery: MemoryDelivery): void;
  /**
   * The broker cancelled the consumer: its connection closed, its queue was
   * deleted (by `deleteQueue` or auto-delete), or the broker cancelled it and
   * kept the queue (`cancelConsumers`, RabbitMQ's `basic.cancel`). Not called
   * when the owner cancels it itself.
   */
  cancelled(reason: 'closed' | 'deleted' | 'cancelled'): void;
}

let nextTag = 0;

export const ACK = 0;
export const REQUEUE = 1;
export const DEAD_LETTER = 2;
/** How a delivery is settled. */
export type SettleAs = typeof ACK | typeof REQUEUE | typeof DEAD_LETTER;

/** What a consumer needs from its queue: settling and leaving it. */
export interface ConsumedQueue {
  /** A settled delivery: acked, requeued or dead-lettered; false when the queue is gone. `freed`: an active consumer has room again. */
  settled(delivery: MemoryDelivery, as: SettleAs, freed: boolean): boolean;
  /** A delivery its closed connection gives back: requeued (unless the queue is gone). */
  givenBack(delivery: MemoryDelivery): void;
  removeConsumer(consumer: MemoryConsumer): void;
}

/**
 * One message in a memory queue, and once dispatched, the delivery a consumer
 * holds. The same object is both, so that routing allocates one object per
 * message and queue; a requeue makes a fresh one, so the old one stays settled.
 */
export class MemoryDelivery implements Delivery {
  /** @internal The consumer holding it; undefined while it waits in its queue. */
  consumer: MemoryConsumer | undefined = undefined;
  /** @internal Acked, nacked, or dropped because its connection or queue went away. */
  settled = false;
  /** @internal Links in its consumer's list of unacked deliveries. */
  previous: MemoryDelivery | undefined = undefined;
  /** @internal */
  next: MemoryDelivery | undefined = undefined;

  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    readonly body: Buffer,
    readonly properties: MessageProperties,
    readonly redelivered: boolean,
  ) {}

  get stale(): boolean {
    return this.settled || this.consumer === undefined || this.consumer.connection.closed;
  }

  ack(): boolean {
    return this.consumer !== undefined && this.consumer.settle(this, ACK);
  }

  nack(requeue: boolean): boolean {
    return this.consumer !== undefined && this.consumer.settle(this, requeue ? REQUEUE : DEAD_LETTER);
  }

  /**
   * @internal The copy that goes back to the head of the queue. A quorum
   * queue counts deliveries in `x-delivery-count`, on a copy of the
   * properties (other queues may share them). No field of its own holds the
   * count: one more field on every message costs throughput.
   */
  redeliver(countDeliveries: boolean): MemoryDelivery {
    const properties = countDeliveries ? withDeliveryCount(this.properties, this.deliveryCount() + 1) : this.properties;
    return new MemoryDelivery(this.exchange, this.routingKey, this.body, properties, true);
  }

  /** @internal How often a quorum queue delivered this message before; 0 on a first delivery. */
  deliveryCount(): number {
    const count = this.redelivered ? this.properties.headers?.['x-delivery-count'] : undefined;
    return typeof count === 'number' ? count : 0;
  }
}

/**
 * A consumer of one memory queue on one connection. After a cancel it keeps
 * its unacked deliveries settleable, as RabbitMQ does until the channel
 * closes; closing the connection requeues them and drops later settles.
 */
export class MemoryConsumer {
  /** Unique in the process, as RabbitMQ's server-generated tags are per connection. */
  readonly tag = `amq.ctag-${++nextTag}`;
  /** @internal False once cancelled by its owner, its queue, its connection or the broker. */
  active = true;
  /** @internal Unacked deliveries held. */
  unacked = 0;
  // An intrusive list in delivery order, so a close can requeue them in order;
  // a Set's add/delete per message costs more than the rest of a dispatch.
  private last: MemoryDelivery | undefined = undefined;

  constructor(
    private readonly queue: ConsumedQueue,
    readonly connection: MemoryConnection,
    /** Unacked deliveries it may hold; 0 means no limit, as in AMQP. */
    readonly prefetch: number,
    /** @internal */
    readonly sink: DeliverySink,
  ) {}

  /** @internal */
  hasCapacity(): boolean {
    return this.active && (this.prefetch === 0 || this.unacked < this.prefetch);
  }

  /** @internal */
  dispatch(delivery: MemoryDelivery): void {
    delivery.consumer = this;
    delivery.previous = this.last;
    if (this.last !== undefined) this.last.next = delivery;
    this.last = delivery;
    this.unacked++;
    try {
      this.sink.deliver(delivery);
    } catch (error) {
      // A throwing sink is a bug in its owner; surface it like RxJS does, without leaving the queue half-dispatched.
      setTimeout(() => {
        throw error;
      });
    }
  }

  /** Stops deliveries; unacked ones stay settleable. Idempotent. */
  cancel(): void {
    if (!this.active) return;
    this.active = false;
    if (this.unacked === 0) this.connection.forget(this);
    this.queue.removeConsumer(this);
  }

  /** @internal Its connection closed: unacked deliveries go back to the queue and later settles are dropped. */
  connectionClosed(): void {
    const wasActive = this.active;
    this.active = false;
    this.unacked = 0;
    // From the last, so that they reach the head of the queue in the order they were delivered.
    let delivery = this.last;
    this.last = undefined;
    while (delivery !== undefined) {
      const previous = delivery.previous;
      delivery.settled = true;
      delivery.previous = delivery.next = undefined;
      this.queue.givenBack(delivery);
      delivery = previous;
    }
    if (wasActive) {
      this.queue.removeConsumer(this);
      this.sink.cancelled('closed');
    }
  }

  /**
   * @internal The broker took it off its queue: the queue was deleted (its
   * unacked deliveries then settle as dropped) or kept (they stay settleable).
   */
  cancelledByBroker(reason: 'deleted' | 'cancelled'): void {
    this.active = false;
    if (this.unacked === 0) this.connection.forget(this);
    this.sink.cancelled(reason);
  }

  /** @internal */
  settle(delivery: MemoryDelivery, outcome: SettleAs): boolean {
    if (delivery.settled) return false;
    delivery.settled = true;
    this.unlink(delivery);
    if (!this.active && this.unacked === 0) this.connection.forget(this);
    return this.queue.settled(delivery, outcome, this.active);
  }

  private unlink(delivery: MemoryDelivery): void {
    const { previous, next } = delivery;
    if (previous !== undefined) previous.next = next;
    if (next === undefined) this.last = previous;
    else next.previous = previous;
    delivery.previous = delivery.next = undefined;
    this.unacked--;
  }
}

function withDeliveryCount(properties: MessageProperties, count: number): MessageProperties {
  return { ...properties, headers: { ...properties.headers, 'x-delivery-count': count } };
}
