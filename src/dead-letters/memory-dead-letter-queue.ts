import { ConnectionError, ErrorCode } from '../errors.js';
import { refusedError } from '../transport/publish-errors.js';
import type { MemoryBroker } from '../transport/memory/memory-broker.js';
import type { MemoryConnection } from '../transport/memory/memory-connection.js';
import type { MemoryDelivery } from '../transport/memory/memory-consumer.js';
import { copyProperties } from '../transport/memory/memory-inspection.js';
import { bodyBytes, type OutboundMessage } from '../transport/transport.js';
import type {
  DeadLetterBroker,
  DeadLetterSession,
  DeliveryLimit,
  HeldLetter,
  LetterConsumer,
  PublishResult,
  QueueReadProfile,
} from './dead-letter-queue.js';
import { missingExchange, missingQueue } from './missing-topology.js';

/** The dead-letter operations' `memory://NAME`: the process's in-memory broker of that name. */
export class MemoryDeadLetterBroker implements DeadLetterBroker {
  constructor(private readonly broker: MemoryBroker) {}

  /** Read from the declaration: an in-process broker has no version, and no policies. */
  readProfile(queue: string): Promise<QueueReadProfile> {
    const declaration = this.broker.queueDeclaration(queue);
    if (declaration === undefined) return Promise.reject(missingQueue(queue));
    const { 'x-queue-type': type = 'classic', 'x-delivery-limit': limit } = declaration.arguments;
    const deliveryLimit: DeliveryLimit =
      type === 'quorum' && limit !== undefined ? { kind: 'set', value: JSON.stringify(limit) } : { kind: 'none' };
    return Promise.resolve({ type: String(type), deliveryLimit, brokerMajor: undefined });
  }

  checkQueue(queue: string): Promise<void> {
    return this.broker.hasQueue(queue) ? Promise.resolve() : Promise.reject(missingQueue(queue));
  }

  checkExchange(exchange: string): Promise<void> {
    return this.broker.hasExchange(exchange) ? Promise.resolve() : Promise.reject(missingExchange(exchange));
  }

  open(queue: string): Promise<DeadLetterSession> {
    return Promise.resolve(new MemoryDeadLetterSession(this.broker, queue));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A session on a memory queue, through a connection of its own: consumers
 * with manual acks, as on RabbitMQ. `release` gives the held deliveries back
 * newest first, each to the head of the queue: since they were read from the
 * head, in order, they end up exactly where they were, as a closed channel
 * leaves them on a RabbitMQ classic queue (a quorum queue counts each one as
 * a delivery, here as there).
 */
export class MemoryDeadLetterSession implements DeadLetterSession {
  private readonly connection: MemoryConnection;
  /** Deliveries not acked, by the letter handed out for each, in the order they came. */
  private readonly held = new Map<HeldLetter, MemoryDelivery>();
  private released = false;

  constructor(
    private readonly broker: MemoryBroker,
    private readonly queue: string,
  ) {
    this.connection = broker.connect();
  }

  readyCount(): Promise<number> {
    return Promise.resolve(this.broker.queueDepth(this.queue));
  }

  consumerCount(): Promise<number> {
    return Promise.resolve(this.broker.consumerCount(this.queue));
  }

  consume(prefetch: number, deliver: (letter: HeldLetter) => void, lost: (error: Error) => void): Promise<LetterConsumer> {
    try {
      const consumer = this.broker.consume(this.queue, this.connection, prefetch, {
        deliver: (delivery) => {
          // The broker shares a message's Buffer and properties among queues: what the caller gets is its own copy.
          const { body, properties, exchange, routingKey } = delivery;
          const letter: HeldLetter = { body: Buffer.from(body), properties: copyProperties(properties), exchange, routingKey };
          this.held.set(letter, delivery);
          deliver(letter);
        },
        cancelled: (reason) => {
          if (!this.released)
            lost(new ConnectionError(ErrorCode.TOPOLOGY_FAILED, `The consumer of "${this.queue}" was ${reason} by the broker`));
        },
      });
      const cancel = (): Promise<void> => {
        consumer.cancel();
        return Promise.resolve();
      };
      return Promise.resolve({ cancel });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  ack(letter: HeldLetter): void {
    const delivery = this.held.get(letter);
    if (this.released || delivery === undefined) return;
    this.held.delete(letter);
    delivery.ack();
  }

  acksProcessed(): Promise<void> {
    return Promise.resolve();
  }

  publish(message: OutboundMessage): Promise<PublishResult> {
    const outcome = this.broker.publish(message.exchange, message.routingKey, bodyBytes(message.body), message.properties);
    if (outcome === 'routed' || outcome === 'unroutable') return Promise.resolve(outcome);
    const reason = outcome === 'no-exchange' ? `no exchange "${message.exchange}" (NOT_FOUND)` : this.broker.lastRefusal;
    return Promise.reject(refusedError(message, reason));
  }

  release(): Promise<void> {
    if (this.released) return Promise.resolve();
    this.released = true;
    for (const delivery of [...this.held.values()].reverse()) delivery.nack(true);
    this.held.clear();
    this.broker.disconnect(this.connection);
    return Promise.resolve();
  }
}
