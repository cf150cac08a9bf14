import { ConnectionError, ErrorCode, show } from '../../errors.js';
import { Deque } from './deque.js';
import { type DeathReason, withDeath } from './x-death.js';
import type { MemoryBroker } from './memory-broker.js';
import type { CancelTimer } from './memory-clock.js';
import type { MemoryConnection } from './memory-connection.js';
import type { MemoryConsumer, MemoryDelivery } from './memory-consumer.js';

/** How a queue was declared; re-declaring it differently fails, as in RabbitMQ. */
export interface QueueDeclaration {
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  /**
   * Honoured: `x-dead-letter-exchange`, `x-dead-letter-routing-key`,
   * `x-message-ttl`, `x-queue-type: 'quorum'` (counts redeliveries in
   * `x-delivery-count`) and, on quorum queues, `x-delivery-limit`. The others
   * are recorded only.
   */
  readonly arguments: Readonly<Record<string, unknown>>;
}

/**
 * A FIFO queue of a {@link MemoryBroker} with competing consumers served
 * round-robin, each bounded by its prefetch. Dispatch happens in the broker's
 * batched flush, never inside a publish.
 *
 * With `x-message-ttl`, a message expires once it is at the head and the TTL
 * has passed since it was enqueued (a requeue keeps that time), and is
 * dead-lettered, as RabbitMQ does. One timer per queue watches the head only:
 * every message of a queue has the same TTL, so the head expires first.
 */
export class MemoryQueue {
  /** @internal Messages waiting for a consumer. */
  readonly ready = new Deque<MemoryDelivery>();
  /** @internal Replaced, never mutated, so a dispatch loop can cancel consumers safely. */
  consumers: readonly MemoryConsumer[] = [];
  /** @internal Deliveries held by consumers, cancelled ones included. */
  unacked = 0;
  /** @internal */
  deleted = false;
  /** @internal In the broker's list of queues to flush. */
  pending = false;
  /** @internal Inside `drain`: settles there need no new flush. */
  draining = false;
  /** Whether it counts deliveries (`x-queue-type: 'quorum'`). */
  readonly quorum: boolean;
  private hadConsumer = false;
  private nextConsumer = 0;
  /** `x-message-ttl`, or -1. */
  private readonly ttl: number;
  /** `x-delivery-limit` of a quorum queue, or -1. */
  private readonly deliveryLimit: number;
  /** When each waiting or unacked message entered, on the broker's clock; kept only with a TTL. */
  private readonly enqueuedAt = new WeakMap<MemoryDelivery, number>();
  private cancelExpiry: CancelTimer | undefined;
  private expiryDue = Infinity;

  constructor(
    /** @internal */
    readonly broker: MemoryBroker,
    readonly name: string,
    readonly declaration: QueueDeclaration,
    /** The connection an exclusive queue belongs to. */
    readonly owner: MemoryConnection | undefined,
  ) {
    const { arguments: args } = declaration;
    this.quorum = args['x-queue-type'] === 'quorum';
    this.ttl = typeof args['x-message-ttl'] === 'number' ? args['x-message-ttl'] : -1;
    this.deliveryLimit = this.quorum && typeof args['x-delivery-limit'] === 'number' ? args['x-delivery-limit'] : -1;
  }

  /** @internal */
  enqueue(delivery: MemoryDelivery): void {
    this.ready.push(delivery);
    if (this.ttl >= 0) {
      this.enqueuedAt.set(delivery, this.broker.clock.now());
      this.armExpiry();
    }
    if (this.consumers.length > 0) this.broker.schedule(this);
  }

  /** @internal Back to the head, marked redelivered; past a quorum queue's delivery limit, dead-lettered. */
  requeue(delivery: MemoryDelivery): void {
    if (this.deliveryLimit >= 0 && delivery.deliveryCount() >= this.deliveryLimit) {
      this.deadLetter(delivery, 'delivery_limit');
      return;
    }
    const copy = delivery.redeliver(this.quorum);
    this.ready.unshift(copy);
    if (this.ttl >= 0) {
      // A requeue does not restart the TTL, as in RabbitMQ.
      this.enqueuedAt.set(copy, this.enteredAt(delivery));
      this.armExpiry();
    }
    if (this.consumers.length > 0) this.broker.schedule(this);
  }

  /**
   * @internal Routes through the queue's dead-letter exchange, recording the
   * death in `x-death` as RabbitMQ does, or drops the message without one.
   */
  deadLetter(delivery: MemoryDelivery, reason: DeathReason): void {
    const exchange = this.declaration.arguments['x-dead-letter-exchange'];
    if (typeof exchange !== 'string') return;
    const key = this.declaration.arguments['x-dead-letter-routing-key'];
    const time = Math.floor(this.broker.clock.now() / 1000);
    const properties = withDeath(delivery.properties, { queue: this.name, reason, exchange: delivery.exchange, routingKey: delivery.routingKey, time });
    this.broker.route(exchange, typeof key === 'string' ? key : delivery.routingKey, delivery.body, properties);
  }

  /** @internal */
  addConsumer(consumer: MemoryConsumer): void {
    this.consumers = [...this.consumers, consumer];
    this.hadConsumer = true;
    if (this.ready.length > 0) this.broker.schedule(this);
  }

  /** @internal Auto-deletes the queue when its last consumer goes. */
  removeConsumer(consumer: MemoryConsumer): void {
    if (!this.consumers.includes(consumer)) return;
    this.consumers = this.consumers.filter((other) => other !== consumer);
    if (this.consumers.length === 0 && this.hadConsumer && this.declaration.autoDelete) this.broker.deleteQueue(this.name);
  }

  /**
   * @internal Dispatches up to `budget` messages; returns false when the
   * budget ran out with messages still deliverable, so the broker flushes again.
   */
  drain(budget: number): boolean {
    if (this.ttl >= 0) this.expire();
    this.draining = true;
    try {
      while (this.ready.length > 0 && !this.deleted) {
        const consumer = this.pickConsumer();
        if (consumer === undefined) return true;
        if (budget-- === 0) return false;
        consumer.dispatch(this.ready.shift() as MemoryDelivery);
      }
      return true;
    } finally {
      this.draining = false;
    }
  }

  /** @internal Stops the expiry timer of a deleted queue. */
  dispose(): void {
    this.cancelExpiry?.();
    this.cancelExpiry = undefined;
  }

  /** @internal Re-arms the expiry timer on the broker's current clock. */
  clockChanged(): void {
    this.dispose();
    this.expiryDue = Infinity;
    if (this.ttl >= 0) this.armExpiry();
  }

  /** Dead-letters the expired messages at the head. */
  private expire(): void {
    const now = this.broker.clock.now();
    for (let head = this.ready.first(); head !== undefined && now - this.enteredAt(head) >= this.ttl; head = this.ready.first()) {
      this.ready.shift();
      this.deadLetter(head, 'expired');
    }
  }

  // A timer for the head's expiry, unless one is due sooner already.
  private armExpiry(): void {
    const head = this.ready.first();
    if (head === undefined || this.deleted) return;
    const due = this.enteredAt(head) + this.ttl;
    if (this.cancelExpiry !== undefined) {
      if (due >= this.expiryDue) return;
      this.cancelExpiry();
    }
    const clock = this.broker.clock;
    this.expiryDue = due;
    this.cancelExpiry = clock.timer(this.onExpiry, Math.max(0, due - clock.now()));
  }

  private enteredAt(delivery: MemoryDelivery): number {
    return this.enqueuedAt.get(delivery) ?? this.broker.clock.now();
  }

  private readonly onExpiry = (): void => {
    this.cancelExpiry = undefined;
    this.expiryDue = Infinity;
    this.expire();
    this.armExpiry();
  };

  // Round-robin from the one after the last served, skipping consumers at their prefetch.
  private pickConsumer(): MemoryConsumer | undefined {
    const consumers = this.consumers;
    const count = consumers.length;
    for (let i = 0; i < count; i++) {
      const index = (this.nextConsumer + i) % count;
      const consumer = consumers[index];
      if (consumer !== undefined && consumer.hasCapacity()) {
        this.nextConsumer = index + 1;
        return consumer;
      }
    }
    return undefined;
  }
}

/**
 * Refuses what RabbitMQ refuses at declaration (PRECONDITION_FAILED): a
 * quorum queue that is not durable, or is exclusive or auto-delete; an
 * unknown queue type; a TTL that is not a whole number of milliseconds.
 *
 * @throws {ConnectionError} `TOPOLOGY_FAILED`, saying what to change.
 */
export function checkDeclaration(name: string, declaration: QueueDeclaration): void {
  const type = declaration.arguments['x-queue-type'];
  const ttl = declaration.arguments['x-message-ttl'];
  let problem: string | undefined;
  if (type !== undefined && type !== 'classic' && type !== 'quorum') {
    problem = `x-queue-type ${show(type)} is not supported here: use 'classic' or 'quorum'`;
  } else if (type === 'quorum' && (!declaration.durable || declaration.exclusive || declaration.autoDelete)) {
    const property = !declaration.durable ? 'non-durable' : declaration.exclusive ? 'exclusive' : 'auto-delete';
    problem = `invalid property '${property}' for a quorum queue: quorum queues must be durable, not exclusive and not auto-delete`;
  } else if (ttl !== undefined && !(Number.isSafeInteger(ttl) && (ttl as number) >= 0)) {
    problem = `invalid x-message-ttl ${show(ttl)}: use a whole number of milliseconds, 0 or more`;
  }
  if (problem !== undefined) throw new ConnectionError(ErrorCode.TOPOLOGY_FAILED, `Cannot declare queue "${name}": ${problem} (PRECONDITION_FAILED)`);
}

/** The fields in which a re-declaration differs from the declaration in force. */
export function differencesOf(existing: QueueDeclaration, declared: QueueDeclaration): string[] {
  const fields = (['durable', 'exclusive', 'autoDelete'] as const).filter((field) => existing[field] !== declared[field]);
  return sameValue(existing.arguments, declared.arguments) ? fields : [...fields, 'arguments'];
}

// Queue arguments are JSON-like values; key order does not matter.
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return keys.length === Object.keys(right).length && keys.every((key) => Object.hasOwn(right, key) && sameValue(left[key], right[key]));
}
