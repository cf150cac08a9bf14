import { maxAgeMs } from '../history-topology.js';
import type { QueueDeclaration } from '../queue-topology.js';
import type { MessageProperties } from '../transport.js';
import type { MemoryClock } from './memory-clock.js';
import type { MemoryDelivery } from './memory-consumer.js';
import { MemoryQueue, type QueueHost } from './memory-queue.js';

/** One message of a stream's log. */
export interface StreamEntry {
  readonly offset: number;
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  readonly properties: MessageProperties;
  /** When it was written, epoch ms (the wall clock): what a read from a Date seeks. */
  readonly writtenAt: number;
  /** When it was written on the broker's clock, for `x-max-age` (virtual time in tests). */
  readonly enteredAt: number;
}

/** What a stream tells its readers: a message was written, or the stream was deleted. */
export type StreamListener = (event: 'written' | 'deleted') => void;

/**
 * A stream (`x-queue-type: 'stream'`) of a {@link MemoryBroker}: an
 * append-only log instead of a queue. What is routed to it is written at the
 * next offset (0, 1, 2, ... from its creation) and stays, for every reader,
 * until its retention drops it from the head: `x-max-age` (RabbitMQ's format,
 * on the broker's clock) and `x-max-length-bytes` (the bodies' bytes).
 * RabbitMQ drops whole segments (500 MB by default) once the newest message
 * of one is past the limits; this log drops message by message, on each write
 * and each read.
 *
 * A stream is a queue to the topology (bound, declared, deleted alike), which
 * is why it extends {@link MemoryQueue}; it has no basic consumers: read it
 * with a `MemoryHistory`.
 */
export class MemoryStream extends MemoryQueue {
  /** The log; `entries[head]` is the oldest kept, at offset `firstOffset`. */
  private entries: (StreamEntry | undefined)[] = [];
  private head = 0;
  private firstOffset = 0;
  private bytes = 0;
  private readonly listeners = new Set<StreamListener>();
  private readonly maxAge: number | undefined;
  private readonly maxBytes: number | undefined;

  constructor(
    private readonly streamHost: QueueHost,
    name: string,
    declaration: QueueDeclaration,
  ) {
    super(streamHost, name, declaration, undefined);
    const { arguments: args } = declaration;
    this.maxAge = typeof args['x-max-age'] === 'string' ? maxAgeMs(args['x-max-age']) : undefined;
    this.maxBytes = typeof args['x-max-length-bytes'] === 'number' ? args['x-max-length-bytes'] : undefined;
    streamsOf(streamHost).set(name, this);
  }

  /** The broker's clock now (it changes with `setScheduler`). */
  get clock(): MemoryClock {
    return this.streamHost.clock;
  }

  /** The offset of the oldest message kept; equals {@link MemoryStream.next} when the log is empty. */
  get first(): number {
    return this.firstOffset;
  }

  /** The offset the next message written gets. */
  get next(): number {
    return this.firstOffset + this.entries.length - this.head;
  }

  /** Messages kept, as RabbitMQ counts a stream's messages. */
  override get depth(): number {
    return this.next - this.first;
  }

  /** The message at `offset`, if it is kept. */
  at(offset: number): StreamEntry | undefined {
    return offset < this.firstOffset ? undefined : this.entries[this.head + offset - this.firstOffset];
  }

  /** The offset of the first message written at or after `time` (epoch ms), or {@link MemoryStream.next} when none was. */
  offsetAt(time: number): number {
    let low = this.head;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.entries[middle] as StreamEntry).writtenAt < time) low = middle + 1;
      else high = middle;
    }
    return this.firstOffset + low - this.head;
  }

  /** Calls `listener` on each write and on deletion, until the returned function is called. */
  listen(listener: StreamListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal Writes a routed message at the next offset. */
  override enqueue(delivery: MemoryDelivery): void {
    const { exchange, routingKey, body, properties } = delivery;
    const entry = { offset: this.next, exchange, routingKey, body, properties, writtenAt: Date.now(), enteredAt: this.clock.now() };
    this.entries.push(entry);
    this.bytes += body.length;
    this.retain();
    this.notify('written');
  }

  /** Drops from the head what the retention no longer keeps. */
  retain(): void {
    const oldest = this.maxAge === undefined ? -Infinity : this.clock.now() - this.maxAge;
    for (let entry = this.entries[this.head]; entry !== undefined; entry = this.entries[this.head]) {
      const tooOld = entry.enteredAt < oldest;
      const tooBig = this.maxBytes !== undefined && this.bytes > this.maxBytes;
      if (!tooOld && !tooBig) break;
      this.entries[this.head] = undefined;
      this.head++;
      this.firstOffset++;
      this.bytes -= entry.body.length;
    }
    // Compact once most of the array is dropped entries: amortized O(1) per message.
    if (this.head > 1_024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** @internal Deleted by its broker: the log goes, readers hear `'deleted'`. */
  override delete(): void {
    super.delete();
    this.firstOffset = this.next;
    this.entries = [];
    this.head = 0;
    this.bytes = 0;
    const streams = streamsOf(this.streamHost);
    if (streams.get(this.name) === this) streams.delete(this.name);
    this.notify('deleted');
  }

  // A listener is a reader of ours, which does not throw.
  private notify(event: 'written' | 'deleted'): void {
    for (const listener of this.listeners) listener(event);
  }
}

/*
 * The streams of each broker by name. A stream is found by its broker and name, as a queue is, without
 * widening MemoryBroker (a queue host) by a lookup only the memory history needs.
 */
const STREAMS = new WeakMap<QueueHost, Map<string, MemoryStream>>();

function streamsOf(host: QueueHost): Map<string, MemoryStream> {
  let streams = STREAMS.get(host);
  if (streams === undefined) {
    streams = new Map();
    STREAMS.set(host, streams);
  }
  return streams;
}

/** The stream `name` of `broker`, if it is declared. */
export function memoryStreamOf(broker: QueueHost, name: string): MemoryStream | undefined {
  return STREAMS.get(broker)?.get(name);
}
