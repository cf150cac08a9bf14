import { pickConsumerIndex } from './consumer-picker.js';
import { Deque } from '../deque.js';
import type { QueueDeclaration } from '../queue-topology.js';
import { messageTtl } from './message-ttl.js';
import { type DeathReason, withDeath } from './x-death.js';
import type { MessageProperties } from '../transport.js';
import type { CancelTimer, MemoryClock } from './memory-clock.js';
import type { MemoryConnection } from './memory-connection.js';
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- ConsumedQueue is imported for the {@link}s in this file's TSDoc
import { type ConsumedQueue, DEAD_LETTER, type MemoryConsumer, type MemoryDelivery, REQUEUE, type SettleAs } from './memory-consumer.js';

/** What a queue needs from its broker, and nothing more. */
export interface QueueHost {
  /** The broker's clock now (it changes with `setScheduler`). */
  readonly clock: MemoryClock;
  /** Asks for a dispatch turn of `queue`; many calls, one turn. */
  schedule(queue: MemoryQueue): void;
  /** A timer on the broker's clock for its own work (a TTL), which does not hold the process while no connection is open. */
  expiryTimer(work: () => void, delayMs: number): CancelTimer;
  /** Routes a dead-lettered message, without copying it; returns the number of queues reached. */
  route(exchange: string, routingKey: string, body: Buffer, properties: MessageProperties): number;
  /** Deletes a queue (auto-delete). */
  deleteQueue(name: string): boolean;
}

/**
 * A FIFO queue of a {@link MemoryBroker} with competing consumers served
 * round-robin, each bounded by its prefetch. Dispatch happens in the broker's
 * batched flush, never inside a publish.
 *
 * With `x-single-active-consumer`, see {@link pickConsumerIndex}.
 *
 * With `x-message-ttl`, a message expires once it is at the head and the TTL
 * has passed since it was enqueued (a requeue keeps that time), and is
 * dead-lettered, as RabbitMQ does. One timer per queue watches the head only:
 * every message of a queue has the same TTL, so the head expires first. A
 * message's own `expiration` (the lower of the two applies) is checked at the
 * head too, as RabbitMQ does: one behind a longer-lived head waits for it.
 */
// Meets ConsumedQueue structurally; no `implements`, since its internal members leave the published declarations.
export class MemoryQueue {
  /** Messages waiting for a consumer. */
  private readonly ready = new Deque<MemoryDelivery>();
  /** Replaced, never mutated, so a dispatch loop can cancel consumers safely. */
  private consumerList: readonly MemoryConsumer[] = [];
  /** Deliveries held by consumers, cancelled ones included. */
  private unacked = 0;
  private deleted = false;
  /** In the host's list of queues to dispatch. */
  private pending = false;
  /** Inside `drain`: settles there need no new turn. */
  private draining = false;
  /** Whether it counts deliveries (`x-queue-type: 'quorum'`). */
  readonly quorum: boolean;
  /** `x-single-active-consumer`: one consumer at a time. */
  private readonly singleActive: boolean;
  private hadConsumer = false;
  private nextConsumer = 0;
  /** `x-message-ttl`, or -1. */
  private readonly ttl: number;
  /** Whether a message with an `expiration` of its own ever came: then heads are checked even without a queue TTL. */
  private perMessageTtl = false;
  /** `x-delivery-limit` of a quorum queue, or -1. */
  private readonly deliveryLimit: number;
  /** When each waiting or unacked message entered, on the broker's clock; kept only with a TTL. */
  private readonly enqueuedAt = new WeakMap<MemoryDelivery, number>();
  private cancelExpiry: CancelTimer | undefined;
  private expiryDue = Infinity;

  constructor(
    private readonly host: QueueHost,
    readonly name: string,
    readonly declaration: QueueDeclaration,
    /** The connection an exclusive queue belongs to. */
    readonly owner: MemoryConnection | undefined,
  ) {
    const { arguments: args } = declaration;
    this.quorum = args['x-queue-type'] === 'quorum';
    this.singleActive = args['x-single-active-consumer'] === true;
    this.ttl = typeof args['x-message-ttl'] === 'number' ? args['x-message-ttl'] : -1;
    this.deliveryLimit = this.quorum && typeof args['x-delivery-limit'] === 'number' ? args['x-delivery-limit'] : -1;
  }

  /** Messages waiting for a consumer (not the unacked ones). */
  get depth(): number {
    return this.ready.length;
  }

  /** Deliveries consumers hold and have not settled. */
  get unackedCount(): number {
    return this.unacked;
  }

  /** The active consumers, in the order they are served. */
  get consumers(): readonly MemoryConsumer[] {
    return this.consumerList;
  }

  /** The waiting messages, head first (the queue's own objects: copy before handing out). */
  waiting(): MemoryDelivery[] {
    return this.ready.toArray();
  }

  /** @internal */
  enqueue(delivery: MemoryDelivery): void {
    this.ready.push(delivery);
    if (delivery.properties.expiration !== undefined) this.perMessageTtl = true;
    if (this.expires()) {
      this.enqueuedAt.set(delivery, this.host.clock.now());
      this.armExpiry();
    }
    if (this.consumerList.length > 0) this.requestDispatch();
  }

  /** Back to the head, marked redelivered; past a quorum queue's delivery limit, dead-lettered. */
  private requeue(delivery: MemoryDelivery): void {
    if (this.deliveryLimit >= 0 && delivery.deliveryCount() >= this.deliveryLimit) {
      this.deadLetter(delivery, 'delivery_limit');
      return;
    }
    const copy = delivery.redeliver(this.quorum);
    this.ready.unshift(copy);
    if (this.expires()) {
      // A requeue does not restart the TTL, as in RabbitMQ.
      this.enqueuedAt.set(copy, this.enteredAt(delivery));
      this.armExpiry();
    }
    if (this.consumerList.length > 0) this.requestDispatch();
  }

  /**
   * Routes through the queue's dead-letter exchange, recording the
   * death in `x-death` as RabbitMQ does, or drops the message without one.
   */
  private deadLetter(delivery: MemoryDelivery, reason: DeathReason): void {
    const exchange = this.declaration.arguments['x-dead-letter-exchange'];
    if (typeof exchange !== 'string') return;
    const key = this.declaration.arguments['x-dead-letter-routing-key'];
    const time = Math.floor(this.host.clock.epochMs() / 1000);
    const properties = withDeath(delivery.properties, {
      queue: this.name,
      reason,
      exchange: delivery.exchange,
      routingKey: delivery.routingKey,
      time,
    });
    this.host.route(exchange, typeof key === 'string' ? key : delivery.routingKey, delivery.body, properties);
  }

  /** @internal */
  addConsumer(consumer: MemoryConsumer): void {
    this.consumerList = [...this.consumerList, consumer];
    this.hadConsumer = true;
    if (this.ready.length > 0) this.requestDispatch();
  }

  /** @internal See {@link ConsumedQueue.settled}. */
  settled(delivery: MemoryDelivery, as: SettleAs, freed: boolean): boolean {
    this.unacked--;
    // The message went with its queue: there is nothing left to settle.
    if (this.deleted) return false;
    if (as === REQUEUE) this.requeue(delivery);
    else if (as === DEAD_LETTER) this.deadLetter(delivery, 'rejected');
    if (freed && this.ready.length > 0) this.requestDispatch();
    return true;
  }

  /** @internal See {@link ConsumedQueue.givenBack}. */
  givenBack(delivery: MemoryDelivery): void {
    this.unacked--;
    if (!this.deleted) this.requeue(delivery);
  }

  /** @internal The broker cancels every consumer, keeping the queue (`basic.cancel`); returns how many. */
  cancelConsumers(reason: 'deleted' | 'cancelled'): number {
    const consumers = this.consumerList;
    this.consumerList = [];
    for (const consumer of consumers) consumer.cancelledByBroker(reason);
    return consumers.length;
  }

  /** @internal Deleted by its broker: messages dropped, consumers cancelled, later settles dropped. */
  delete(): void {
    this.deleted = true;
    this.ready.clear();
    this.dispose();
    this.owner?.disown(this);
    this.cancelConsumers('deleted');
  }

  /** @internal A consumer leaves: the next one takes over a single-active-consumer queue; the last one auto-deletes it. */
  removeConsumer(consumer: MemoryConsumer): void {
    if (!this.consumerList.includes(consumer)) return;
    const wasActive = this.singleActive && this.consumerList[0] === consumer;
    this.consumerList = this.consumerList.filter((other) => other !== consumer);
    // The next consumer takes over what waits.
    if (wasActive && this.consumerList.length > 0 && this.ready.length > 0) this.requestDispatch();
    if (this.consumerList.length === 0 && this.hadConsumer && this.declaration.autoDelete) this.host.deleteQueue(this.name);
  }

  // Many calls, one turn: none while one is pending, while draining (the loop goes on) or once deleted.
  private requestDispatch(): void {
    if (this.pending || this.draining || this.deleted) return;
    this.pending = true;
    this.host.schedule(this);
  }

  /**
   * Dispatches up to `budget` messages; returns false when the
   * budget ran out with messages still deliverable, so the broker flushes again.
   */
  private drain(budget: number): boolean {
    if (this.expires()) this.expire();
    this.draining = true;
    try {
      while (this.ready.length > 0 && !this.deleted) {
        const consumer = this.pickConsumer();
        if (consumer === undefined) return true;
        if (budget-- === 0) return false;
        this.unacked++;
        consumer.dispatch(this.ready.shift() as MemoryDelivery);
      }
      return true;
    } finally {
      this.draining = false;
    }
  }

  /** @internal One dispatch turn of its host: up to `budget` messages, and another turn if more are deliverable. */
  dispatchTurn(budget: number): void {
    this.pending = false;
    if (!this.drain(budget)) this.requestDispatch();
  }

  /** Stops the expiry timer of a deleted queue. */
  private dispose(): void {
    this.cancelExpiry?.();
    this.cancelExpiry = undefined;
  }

  /** @internal Re-arms the expiry timer on the broker's current clock. */
  clockChanged(): void {
    this.dispose();
    this.expiryDue = Infinity;
    if (this.expires()) this.armExpiry();
  }

  /** Dead-letters the expired messages at the head. */
  private expire(): void {
    const now = this.host.clock.now();
    for (let head = this.ready.first(); head !== undefined && this.expiredAt(head, now); head = this.ready.first()) {
      this.ready.shift();
      this.deadLetter(head, 'expired');
    }
  }

  // A timer for the head's expiry, unless one is due sooner already.
  private armExpiry(): void {
    const head = this.ready.first();
    if (head === undefined || this.deleted) return;
    const ttl = messageTtl(this.ttl, head.properties);
    // A head that never expires holds back the expiry of those behind it, as in RabbitMQ.
    if (ttl < 0) return;
    const due = this.enteredAt(head) + ttl;
    if (this.cancelExpiry !== undefined) {
      if (due >= this.expiryDue) return;
      this.cancelExpiry();
    }
    this.expiryDue = due;
    this.cancelExpiry = this.host.expiryTimer(this.onExpiry, Math.max(0, due - this.host.clock.now()));
  }

  private expires(): boolean {
    return this.ttl >= 0 || this.perMessageTtl;
  }

  private expiredAt(delivery: MemoryDelivery, now: number): boolean {
    const ttl = messageTtl(this.ttl, delivery.properties);
    return ttl >= 0 && now - this.enteredAt(delivery) >= ttl;
  }

  private enteredAt(delivery: MemoryDelivery): number {
    return this.enqueuedAt.get(delivery) ?? this.host.clock.now();
  }

  private readonly onExpiry = (): void => {
    this.cancelExpiry = undefined;
    this.expiryDue = Infinity;
    this.expire();
    this.armExpiry();
  };

  // Round-robin from the one after the last served (see pickConsumerIndex).
  private pickConsumer(): MemoryConsumer | undefined {
    const index = pickConsumerIndex(this.consumerList, this.nextConsumer, this.singleActive);
    if (index < 0) return undefined;
    if (!this.singleActive) this.nextConsumer = index + 1;
    return this.consumerList[index];
  }
}
