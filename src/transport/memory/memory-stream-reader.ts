import type { Subscriber } from 'rxjs';
import type { RxPubsubError } from '../../errors.js';
import { historyReadError } from '../history-topology.js';
import type { HistoryFrom, HistoryReadOptions, HistoryRecord } from '../transport.js';
import type { MemoryStream, StreamEntry } from './memory-stream.js';

/**
 * One read of a {@link MemoryStream}, as a RabbitMQ stream consumer reads:
 * records go out on a later turn of the broker's clock, never inside
 * `subscribe`, at most `prefetch` of them unacked; each ack frees a slot. A
 * turn hands out at most `prefetch` records, so a long log is read in turns
 * that leave the event loop to timers and I/O in between.
 *
 * Without `follow` it completes once it handed out the last record the log
 * held when the read started (its `end`); with it, it waits for writes.
 */
export class MemoryStreamReader {
  private position: number;
  private readonly end: number | undefined;
  private inFlight = 0;
  private scheduled = false;
  private pumping = false;
  private stopped = false;
  private readonly stopListening: () => void;

  constructor(
    private readonly stream: MemoryStream,
    private readonly options: HistoryReadOptions,
    private readonly subscriber: Subscriber<HistoryRecord>,
  ) {
    stream.retain();
    this.position = startOf(stream, options.from);
    this.end = options.follow ? undefined : stream.next - 1;
    this.stopListening = stream.listen((event) => {
      if (event === 'deleted') this.fail(historyReadError(stream.name, new Error('the stream was deleted (NOT_FOUND)')));
      else this.schedule();
    });
    this.schedule();
  }

  /** Stops reading (the subscriber unsubscribed, or the read ended). */
  stop(): void {
    this.stopped = true;
    this.stopListening();
  }

  /** Ends the read with `error`. */
  fail(error: RxPubsubError): void {
    if (this.stopped) return;
    this.stop();
    this.subscriber.error(error);
  }

  private schedule(): void {
    if (this.scheduled || this.pumping || this.stopped) return;
    this.scheduled = true;
    this.stream.clock.schedule(this.pump, 0);
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    this.pumping = true;
    let again = false;
    try {
      again = this.handOut();
    } finally {
      this.pumping = false;
    }
    if (again) this.schedule();
  };

  /** Hands out what it may this turn; true when the turn's budget ran out with more to hand out. */
  private handOut(): boolean {
    const { prefetch } = this.options;
    for (let budget = prefetch; !this.stopped; budget--) {
      if (this.end !== undefined && this.position > this.end) {
        this.stop();
        this.subscriber.complete();
        return false;
      }
      if (this.inFlight >= prefetch) return false; // an ack schedules the next turn
      if (budget === 0) return true;
      // Retention dropped what this read had not reached yet: go on from the oldest kept, as RabbitMQ does.
      this.position = Math.max(this.position, this.stream.first);
      const entry = this.stream.at(this.position);
      if (entry === undefined) return false; // the end of the log: the next write schedules a turn
      this.position++;
      this.inFlight++;
      this.subscriber.next(this.recordOf(entry));
    }
    return false;
  }

  private recordOf(entry: StreamEntry): HistoryRecord {
    let acked = false;
    const { offset, exchange, routingKey, body, properties } = entry;
    return {
      offset,
      exchange,
      routingKey,
      body,
      properties,
      ack: () => {
        if (acked) return;
        acked = true;
        this.inFlight--;
        this.schedule();
      },
    };
  }
}

/** Where a read from `from` starts: an offset from the oldest kept up to the next to be written. */
function startOf(stream: MemoryStream, from: HistoryFrom): number {
  if (from === 'first') return stream.first;
  if (from === 'last') return Math.max(stream.first, stream.next - 1);
  if (from instanceof Date) return stream.offsetAt(from.getTime());
  return Math.min(Math.max(from, stream.first), stream.next);
}
