import type { Channel, ConsumeMessage } from 'amqplib';
import type { Subscription } from 'rxjs';
import type { RxPubsubError } from '../../errors.js';
import type { ManagedChannel } from './managed-channel.js';
import { readChannel, streamOffsetOf, type StreamReadContext } from './stream-read-context.js';

/** The last chunk's messages come in one burst: once none came for this long, it is over. */
export const PROBE_QUIET_MS = 200;
/** While messages keep being written, the probe stops this long after its first one: the end is then at least the log's end at the start. */
export const PROBE_MAX_MS = 1_000;
/** A consumer that got nothing this long after it started reads an empty log (or past its end). */
export const EMPTY_AFTER_MS = 1_000;
/** The last chunk may hold thousands of messages; each is acked at once, so this only sets the pace. */
const PROBE_PREFETCH = 1_000;

/**
 * Finds the offset of the last message of a RabbitMQ stream, for a read that
 * completes at the end of the log. AMQP 0.9.1 has no end-of-stream signal,
 * and a passive declare's message count is no help: on a stream it is a
 * metrics sample (0 for a few seconds after a write, different on each node).
 *
 * So the probe consumes from `last`, where RabbitMQ starts at the first
 * message of the last chunk (the batch written together with the newest
 * message) and sends the whole chunk in one burst. The end is the highest
 * offset seen once the burst is over ({@link PROBE_QUIET_MS} without a
 * message), or after {@link PROBE_MAX_MS} while writes go on; -1 when nothing
 * came within {@link EMPTY_AFTER_MS}: the log is empty. Timing decides only
 * where the burst ends; a last chunk delivered slower than that would make the
 * read complete early, a few messages short.
 */
export class StreamEndProbe {
  private readonly channel: ManagedChannel<Channel>;
  private readonly subscriptions: Subscription[] = [];
  private last = -1;
  /** When the last record was written, in whole seconds (its AMQP timestamp, else its event's), if it tells. */
  private lastSecond: number | undefined;
  private emptyTimer: NodeJS.Timeout | undefined;
  private quietTimer: NodeJS.Timeout | undefined;
  private maxTimer: NodeJS.Timeout | undefined;
  private done = false;

  constructor(
    private readonly context: StreamReadContext,
    private readonly onEnd: (end: number, lastSecond: number | undefined) => void,
    private readonly onFailure: (error: RxPubsubError) => void,
  ) {
    const { channel, subscription } = readChannel(
      context,
      'probe',
      (opened) => this.setup(opened),
      (error) => this.fail(error),
    );
    this.channel = channel;
    // A lost channel starts over on the next one (the end is a maximum: what was seen still counts).
    this.subscriptions.push(
      subscription,
      channel.closed$.subscribe(() => this.clearTimers()),
    );
  }

  /** Stops probing; no callback is called afterwards. */
  stop(): void {
    if (this.done) return;
    this.done = true;
    this.clearTimers();
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    void this.channel.close(Date.now() + this.context.closeTimeoutMs);
  }

  private async setup(channel: Channel): Promise<void> {
    const { stream } = this.context;
    await channel.checkQueue(stream);
    await channel.prefetch(PROBE_PREFETCH, false);
    await channel.consume(stream, (message) => this.onMessage(channel, message), { arguments: { 'x-stream-offset': 'last' } });
    // amqplib hands out the deliveries read with consume-ok before this line runs: their quiet timer is the one to keep.
    if (this.done || this.quietTimer !== undefined) return;
    if (this.last < 0) this.emptyTimer = setTimeout(() => this.conclude(), EMPTY_AFTER_MS);
    else this.quietTimer = setTimeout(() => this.conclude(), PROBE_QUIET_MS);
  }

  private onMessage(channel: Channel, message: ConsumeMessage | null): void {
    if (this.done) return;
    // basic.cancel: the stream was deleted, or its replica here stopped; the next channel's checkQueue tells which.
    if (message === null) return this.channel.reopen();
    try {
      channel.ack(message);
    } catch {
      // The channel is closing: the next one starts over.
    }
    const offset = streamOffsetOf(message) ?? -1;
    if (offset >= this.last) {
      this.last = offset;
      this.lastSecond = secondOf(message);
    }
    clearTimeout(this.emptyTimer);
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => this.conclude(), PROBE_QUIET_MS);
    this.maxTimer ??= setTimeout(() => this.conclude(), PROBE_MAX_MS);
  }

  private conclude(): void {
    if (this.done) return;
    const end = this.last;
    this.stop();
    this.onEnd(end, end < 0 ? undefined : this.lastSecond);
  }

  private fail(error: RxPubsubError): void {
    if (this.done) return;
    this.stop();
    this.onFailure(error);
  }

  private clearTimers(): void {
    clearTimeout(this.emptyTimer);
    clearTimeout(this.quietTimer);
    clearTimeout(this.maxTimer);
    this.emptyTimer = this.quietTimer = this.maxTimer = undefined;
  }
}

/** A message's time in whole seconds: its AMQP `timestamp`, else the `timestamp` of the event in its body; undefined when neither tells. */
function secondOf(message: ConsumeMessage): number | undefined {
  const stamp: unknown = message.properties.timestamp;
  if (typeof stamp === 'number' && Number.isFinite(stamp)) return Math.floor(stamp);
  try {
    const parsed = JSON.parse(message.content.toString('utf8')) as { timestamp?: unknown };
    const ms = typeof parsed.timestamp === 'string' ? Date.parse(parsed.timestamp) : Number.NaN;
    return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
  } catch {
    return undefined;
  }
}
