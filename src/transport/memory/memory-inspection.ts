import type { MessageProperties } from '../transport.js';
import type { QueueDeclaration } from '../queue-topology.js';
import type { MemoryQueue } from './memory-queue.js';
import type { TopicExchange } from './topic-exchange.js';

/** A copy of a message waiting in a queue, for inspection. */
export interface MemoryMessage {
  /** The exchange it was published to (`''`: the default exchange). */
  readonly exchange: string;
  /** The routing key it was published with. */
  readonly routingKey: string;
  /** A copy of its body. */
  readonly body: Buffer;
  /** Its properties, headers included (the `x-death` and `rx-pubsub-*` headers of a dead letter). */
  readonly properties: MessageProperties;
  /** It was delivered before and went back to the queue (nacked with requeue, or its connection closed). */
  readonly redelivered: boolean;
}

/** A binding of a queue to a topic exchange. */
export interface MemoryBinding {
  /** The topic exchange. */
  readonly exchange: string;
  /** The binding key: an AMQP topic pattern (`order.*`, `#`). */
  readonly routingKey: string;
}

/** A consumer of a queue, as the management UI lists it. */
export interface MemoryConsumerInfo {
  /** The consumer tag (`amq.ctag-N`), unique in the process. */
  readonly tag: string;
  /** The id of the connection it consumes on (unique in the process). */
  readonly connection: number;
  /** 0 means no limit. */
  readonly prefetch: number;
  /** Deliveries it holds and has not settled. */
  readonly unacked: number;
}

/** What inspection reads: the broker's queues and exchanges, never changing them. */
export interface InspectedBroker {
  queue(name: string): MemoryQueue | undefined;
  exchanges(): Iterable<[string, TopicExchange]>;
}

/**
 * What a test can see of a {@link MemoryBroker}, as the management UI shows it.
 * Everything handed out is a copy: inspecting never changes the broker.
 */
export interface MemoryBrokerInspection {
  /** Messages waiting for a consumer (not the unacked ones); 0 for an unknown queue. */
  queueDepth(name: string): number;
  /** Deliveries consumers hold and have not settled; 0 for an unknown queue. */
  unackedCount(name: string): number;
  /** Active consumers; 0 for an unknown queue. */
  consumerCount(name: string): number;
  /** The queue's bindings to topic exchanges (the default exchange's implicit one is left out). */
  bindings(name: string): MemoryBinding[];
  /** The active consumers of a queue, in the order they are served; empty for an unknown queue. */
  consumers(queue: string): MemoryConsumerInfo[];
  /** How the queue was declared (flags and arguments, copied), or `undefined` when it does not exist. */
  queueDeclaration(name: string): QueueDeclaration | undefined;
  /** Copies of the waiting messages, head first. */
  peek(name: string): MemoryMessage[];
}

/** The inspection of one broker, reading its queues and exchanges. */
export class MemoryInspection implements MemoryBrokerInspection {
  constructor(private readonly broker: InspectedBroker) {}

  queueDepth(name: string): number {
    return this.broker.queue(name)?.depth ?? 0;
  }

  unackedCount(name: string): number {
    return this.broker.queue(name)?.unackedCount ?? 0;
  }

  consumerCount(name: string): number {
    return this.broker.queue(name)?.consumers.length ?? 0;
  }

  bindings(name: string): MemoryBinding[] {
    const queue = this.broker.queue(name);
    const out: MemoryBinding[] = [];
    for (const [exchange, topic] of this.broker.exchanges()) {
      for (const binding of topic.bindings) if (binding.queue === queue) out.push({ exchange, routingKey: binding.key });
    }
    return out;
  }

  consumers(name: string): MemoryConsumerInfo[] {
    const consumers = this.broker.queue(name)?.consumers ?? [];
    return consumers.map(({ tag, connection, prefetch, unacked }) => ({ tag, connection: connection.id, prefetch, unacked }));
  }

  queueDeclaration(name: string): QueueDeclaration | undefined {
    const declaration = this.broker.queue(name)?.declaration;
    return declaration === undefined ? undefined : { ...declaration, arguments: { ...declaration.arguments } };
  }

  peek(name: string): MemoryMessage[] {
    const queue = this.broker.queue(name);
    if (queue === undefined) return [];
    return queue.waiting().map((message) => ({
      exchange: message.exchange,
      routingKey: message.routingKey,
      body: Buffer.from(message.body),
      properties: copyProperties(message.properties),
      redelivered: message.redelivered,
    }));
  }
}

// One copy is shared by every queue the message reached. It is not frozen:
// Object.freeze costs five times the copy, and the types are readonly already.
export function copyProperties(properties: MessageProperties): MessageProperties {
  const headers = properties.headers;
  return headers === undefined ? { ...properties } : { ...properties, headers: { ...headers } };
}
