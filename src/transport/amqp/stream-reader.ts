import type { Channel, ConsumeMessage } from 'amqplib';
import type { Subscriber, Subscription } from 'rxjs';
import { isRxPubsubError, type RxPubsubError } from '../../errors.js';
import { historyReadError } from '../history-topology.js';
import type { HistoryReadOptions, HistoryRecord } from '../transport.js';
import { AckBatcher } from './ack-batcher.js';
import type { ManagedChannel } from './managed-channel.js';
import { EMPTY_AFTER_MS, StreamEndProbe } from './stream-end-probe.js';
import { readChannel, type StreamReadContext, streamOffsetOf } from './stream-read-context.js';

/**
 * One read of a RabbitMQ stream over AMQP 0.9.1: a channel of its own, with
 * `basic.qos` (streams need manual acks and a prefetch), consuming with
 * `x-stream-offset`. An ack only gives the consumer credit (a stream keeps
 * every message), so the prefetch bounds the records the subscriber has not
 * finished, and the broker sends the next as it does.
 *
 * | event                               | the read                                                  |
 * |-------------------------------------|-----------------------------------------------------------|
 * | a new channel (reconnect, failover) | consumes again from the offset after the last handed out  |
 * | a record before that offset         | dropped: a chunk is resent from its start                 |
 * | `basic.cancel` from the broker      | consumes again on a new channel, or errors when the stream is gone |
 * | the broker refuses the setup (404, 403) | errors: `TOPOLOGY_FAILED`; a 406 (no replica running here yet) is retried |
 *
 * Without `follow`, a {@link StreamEndProbe} finds the last offset of the log
 * at the start, and the read completes once it handed that one out. It also
 * completes when, the end known, nothing came within {@link EMPTY_AFTER_MS}
 * of consuming: the start (a time past the last write, an offset past the end)
 * is after the end.
 */
export class StreamReader {
  private readonly channel: ManagedChannel<Channel>;
  private readonly subscriptions: Subscription[] = [];
  private readonly dead = new WeakSet<Channel>();
  private readonly batchers = new WeakMap<Channel, AckBatcher>();
  private probe: StreamEndProbe | undefined;
  /** The lowest offset still to hand out: records below it were handed out already, or come before the start. */
  private floor: number;
  /** Whether a record was handed out: from then on, a new consumer starts at `floor`. */
  private started = false;
  /** The last offset to hand out without `follow`, once the probe found it (-1: an empty log). */
  private end: number | undefined;
  /** A Date start at or before the last write: records will come, so no wait for nothing may end the read. */
  private recordsExpected = false;
  /** The broker attached a timestamp consumer past the records (see endFound): read from the first one instead. */
  private timestampMissed = false;
  private emptyTimer: NodeJS.Timeout | undefined;
  /** The channel whose consumer is active, if any. */
  private consumingOn: Channel | undefined;
  private stopped = false;

  constructor(
    private readonly context: StreamReadContext,
    private readonly options: HistoryReadOptions,
    private readonly subscriber: Subscriber<HistoryRecord>,
  ) {
    this.floor = typeof options.from === 'number' ? options.from : 0;
    const { channel, subscription } = readChannel(
      context,
      'read',
      (opened) => this.setup(opened),
      (error) => void this.fail(error),
    );
    this.channel = channel;
    this.subscriptions.push(
      subscription,
      channel.closed$.subscribe(({ channel: closed }) => {
        this.dead.add(closed);
        if (closed !== this.consumingOn) return;
        this.consumingOn = undefined;
        clearTimeout(this.emptyTimer);
      }),
    );
    context.connected.catch((error: unknown) => void this.fail(isRxPubsubError(error) ? error : historyReadError(context.stream, error)));
    if (!options.follow) {
      this.probe = new StreamEndProbe(
        context,
        (end, lastSecond) => this.endFound(end, lastSecond),
        (error) => void this.fail(error),
      );
    }
  }

  /** Stops reading: the consumer goes with its channel. Idempotent. */
  stop(deadline = Date.now() + this.context.closeTimeoutMs): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      clearTimeout(this.emptyTimer);
      this.probe?.stop();
      for (const subscription of this.subscriptions) subscription.unsubscribe();
    }
    return this.channel.close(deadline);
  }

  /** Ends the read with `error`, closing its channel by `deadline`. */
  fail(error: RxPubsubError, deadline?: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const stopped = this.stop(deadline);
    this.subscriber.error(error);
    return stopped;
  }

  private complete(): void {
    if (this.stopped) return;
    void this.stop();
    this.subscriber.complete();
  }

  private async setup(channel: Channel): Promise<void> {
    const { stream } = this.context;
    await channel.checkQueue(stream);
    await channel.prefetch(this.options.prefetch, false);
    await channel.consume(stream, (message) => this.onMessage(channel, message), {
      arguments: { 'x-stream-offset': this.startArgument() },
    });
    if (!this.dead.has(channel)) this.consumingOn = channel;
    this.watchForNothing();
  }

  /** Where a new consumer starts: after the last record handed out, or where the read was asked to. */
  private startArgument(): unknown {
    const { from } = this.options;
    if (this.started) return this.floor;
    // AMQP timestamps are whole seconds: the broker starts at the chunk holding that second, the bus skips what is earlier.
    if (from instanceof Date && !this.timestampMissed) return { '!': 'timestamp', value: Math.max(0, Math.floor(from.getTime() / 1000)) };
    return from instanceof Date ? 'first' : from;
  }

  private onMessage(channel: Channel, message: ConsumeMessage | null): void {
    if (this.stopped) return;
    // basic.cancel: the stream was deleted, or its replica on this node stopped; the next channel's checkQueue tells which.
    if (message === null) return this.channel.reopen();
    const acks = this.acksOf(channel);
    const tag = message.fields.deliveryTag;
    acks.delivered(tag);
    const offset = streamOffsetOf(message);
    if (offset === undefined || offset < this.floor) return acks.ack(tag);
    if (this.end !== undefined && offset > this.end) {
      acks.ack(tag);
      return this.complete();
    }
    clearTimeout(this.emptyTimer);
    this.started = true;
    this.floor = offset + 1;
    this.subscriber.next(recordOf(message, offset, () => acks.ack(tag)));
    if (this.end !== undefined && offset >= this.end) this.complete();
  }

  private endFound(end: number, lastSecond: number | undefined): void {
    this.probe = undefined;
    this.end = end;
    if (end < this.floor) return this.complete();
    const { from } = this.options;
    if (from instanceof Date && lastSecond !== undefined) {
      // None when the Date is after the last write's second (decided now, not by waiting: a loaded broker may take over
      // a second to start sending). Else records exist at or after it, but RabbitMQ 3.10 sometimes attaches a timestamp
      // consumer past them (measured: 1 in 8 with the Date early in a second): nothing within EMPTY_AFTER_MS, read from
      // the first record instead (the bus skips those before the Date by their timestamp).
      if (Math.floor(from.getTime() / 1000) > lastSecond) return this.complete();
      this.recordsExpected = true;
      clearTimeout(this.emptyTimer);
      this.emptyTimer = setTimeout(() => {
        if (this.started || this.stopped || this.timestampMissed) return;
        this.timestampMissed = true;
        this.channel.reopen();
      }, EMPTY_AFTER_MS);
      return;
    }
    this.watchForNothing();
  }

  // Nothing will come when the start is past the end (a time after the last write): no delivery at all tells.
  private watchForNothing(): void {
    if (this.end === undefined || this.started || this.stopped || this.consumingOn === undefined || this.recordsExpected) return;
    clearTimeout(this.emptyTimer);
    this.emptyTimer = setTimeout(() => {
      if (!this.started) this.complete();
    }, EMPTY_AFTER_MS);
  }

  private acksOf(channel: Channel): AckBatcher {
    let acks = this.batchers.get(channel);
    if (acks === undefined) {
      acks = new AckBatcher(channel, () => !this.dead.has(channel));
      this.batchers.set(channel, acks);
    }
    return acks;
  }
}

function recordOf(message: ConsumeMessage, offset: number, ack: () => void): HistoryRecord {
  let acked = false;
  return {
    offset,
    exchange: message.fields.exchange,
    routingKey: message.fields.routingKey,
    body: message.content,
    properties: message.properties,
    ack: () => {
      if (acked) return;
      acked = true;
      ack();
    },
  };
}
