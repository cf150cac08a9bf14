/**
 * Publishes `count` events at a fixed rate without waiting for confirms (so a
 * fault does not slow the rate: publishes wait in the bus's buffer), and
 * records for each one when it was issued and when it was confirmed, or why
 * it was rejected.
 */
import { createEvent, type EventBus, isRxPubsubError } from '../src/index.js';

const TICK_MS = 5;

export interface PublishRecord {
  /** `publishedAt[seq]`: when publish() was called. */
  readonly publishedAt: Float64Array;
  /** `confirmedAt[seq]`: when it resolved; NaN when it was rejected. */
  readonly confirmedAt: Float64Array;
  /** Rejections by error code (or error name). */
  readonly rejections: Map<string, number>;
  /** A few rejection messages, for the report. */
  readonly rejectionSamples: string[];
}

export class SteadyPublisher {
  readonly record: PublishRecord;
  private sent = 0;
  private settled = 0;
  private readonly done: Promise<void>;
  private finish: () => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly count: number,
    private readonly ratePerSecond: number,
    /** `idOf(seq)`: the unique id of event `seq`. */
    private readonly idOf: (seq: number) => string,
    private readonly domain: string,
  ) {
    this.record = {
      publishedAt: new Float64Array(count).fill(Number.NaN),
      confirmedAt: new Float64Array(count).fill(Number.NaN),
      rejections: new Map(),
      rejectionSamples: [],
    };
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  /** Publishes every event on schedule; resolves once each publish was confirmed or rejected. */
  run(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    const startedAt = Date.now();
    this.timer = setInterval(() => {
      const due = Math.min(this.count, Math.floor(((Date.now() - startedAt) * this.ratePerSecond) / 1000));
      while (this.sent < due) this.publish(this.sent++);
      if (this.sent === this.count) this.stop();
    }, TICK_MS);
    return this.done;
  }

  /** Publishes nothing more (the run was aborted). */
  stop(): void {
    clearInterval(this.timer);
  }

  /** Publishes issued so far. */
  get published(): number {
    return this.sent;
  }

  /** Publishes confirmed or rejected so far. */
  get settledCount(): number {
    return this.settled;
  }

  private publish(seq: number): void {
    const event = createEvent({ id: this.idOf(seq), domain: this.domain, action: 'tick', data: { seq } });
    this.record.publishedAt[seq] = Date.now();
    this.bus.publish(event).then(
      () => {
        this.record.confirmedAt[seq] = Date.now();
        this.settle();
      },
      (error: unknown) => {
        const code = isRxPubsubError(error) ? error.code : error instanceof Error ? error.name : 'unknown';
        this.record.rejections.set(code, (this.record.rejections.get(code) ?? 0) + 1);
        if (this.record.rejectionSamples.length < 5)
          this.record.rejectionSamples.push(error instanceof Error ? error.message : String(error));
        this.settle();
      },
    );
  }

  private settle(): void {
    if (++this.settled === this.count) this.finish();
  }
}
