import { Deque } from './deque.js';
import type { MemoryBroker, MemoryConnection } from './memory-broker.js';
import type { MemoryConsumer, MemoryDelivery } from './memory-consumer.js';

/** How a queue was declared; re-declaring it differently fails, as in RabbitMQ. */
export interface QueueDeclaration {
  readonly durable: boolean;
  readonly exclusive: boolean;
  readonly autoDelete: boolean;
  /** `x-dead-letter-exchange` and `x-dead-letter-routing-key` are honoured; the others are recorded only. */
  readonly arguments: Readonly<Record<string, unknown>>;
}

/**
 * A FIFO queue of a {@link MemoryBroker} with competing consumers served
 * round-robin, each bounded by its prefetch. Dispatch happens in the broker's
 * batched flush, never inside a publish.
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
  private hadConsumer = false;
  private nextConsumer = 0;

  constructor(
    /** @internal */
    readonly broker: MemoryBroker,
    readonly name: string,
    readonly declaration: QueueDeclaration,
    /** The connection an exclusive queue belongs to. */
    readonly owner: MemoryConnection | undefined,
  ) {}

  /** @internal */
  enqueue(delivery: MemoryDelivery): void {
    this.ready.push(delivery);
    if (this.consumers.length > 0) this.broker.schedule(this);
  }

  /** @internal Back to the head, marked redelivered. */
  requeue(delivery: MemoryDelivery): void {
    this.ready.unshift(delivery.redeliver());
    if (this.consumers.length > 0) this.broker.schedule(this);
  }

  /** @internal Routes through the queue's dead-letter exchange, or drops the message without one. */
  deadLetter(delivery: MemoryDelivery): void {
    const exchange = this.declaration.arguments['x-dead-letter-exchange'];
    if (typeof exchange !== 'string') return;
    const key = this.declaration.arguments['x-dead-letter-routing-key'];
    this.broker.route(exchange, typeof key === 'string' ? key : delivery.routingKey, delivery.body, delivery.properties);
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
