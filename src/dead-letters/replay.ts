import { AckBarrier } from './ack-barrier.js';
import { type DeadLetterEntry, entryOf } from './dead-letter-entry.js';
import type { DeadLetterFilter } from './dead-letter-filter.js';
import type { DeadLetterBroker, DeadLetterSession, HeldLetter } from './dead-letter-queue.js';
import type { HeldLetterReader } from './letter-reader.js';
import type { OutboundMessage } from '../transport/transport.js';
import { openReader } from './open-reader.js';
import { type ReadStrategy, removalStrategy } from './read-strategy.js';
import { replayCopyOf, type ReplayTarget } from './replay-copy.js';

/** Options of {@link DeadLetters.replay}. */
export interface DeadLetterReplayOptions {
  /** Which dead letters to replay; the others stay where they are, in order. @default all */
  readonly filter?: DeadLetterFilter;
  /** Replay at most this many: the first ones (that match), in queue order. @default all */
  readonly limit?: number;
  /**
   * `'queue'`: to the service queue only, through the default exchange, so
   * only this service handles them again. `'exchange'`: to the topic exchange
   * with the original routing key, so every service bound to it gets them again.
   * @default 'queue'
   */
  readonly to?: 'queue' | 'exchange';
  /**
   * Copies published and not yet settled (confirmed, and their dead letter's
   * removal applied by the broker) at once: a replay cut off at any point
   * leaves at most this many duplicates. @default 100
   */
  readonly window?: number;
  /** A copy not confirmed within this time fails the replay (`PUBLISH_TIMEOUT`). @default 30000 */
  readonly publishTimeoutMs?: number;
}

/** Where a replay stands; the last one emitted is the result. */
export interface DeadLetterReplayProgress {
  /** Republished (confirmed) and removed from the dead-letter queue. */
  readonly replayed: number;
  /** Read but not matching the filter: left where they were. */
  readonly skipped: number;
  /** Matching, but their copy reached no queue (or, to the exchange, no routing key is known): left in the dead-letter queue. */
  readonly failed: number;
  /** The dead letters this replay looks at, at most: the queue's depth when it started (capped by `limit` without a filter). */
  readonly total: number;
  /** Replayed per second since it started; absent in the first progress. */
  readonly ratePerSec?: number;
}

/** A replay with its options checked. */
export interface ReplayPlan {
  readonly broker: DeadLetterBroker;
  readonly deadLetterQueue: string;
  readonly target: ReplayTarget;
  readonly matches: ((entry: DeadLetterEntry) => boolean) | undefined;
  readonly limit: number;
  readonly window: number;
  readonly publishTimeoutMs: number;
  /** {@link DeadLettersOptions.countedReads}. */
  readonly countedReads: boolean;
}

const FILTERED = 'A replay with a filter';

/**
 * One replay: reads the dead letters in order, publishes a copy of each that
 * matches (at most `window` unsettled), and acks a dead letter only once its
 * copy was confirmed; a window slot frees once that ack was applied by the
 * broker. Cut off anywhere (stop, a crash, SIGKILL), every unacked dead letter
 * goes back to the queue: none is lost, and at most `window` are also copied.
 */
export class ReplayRun {
  private stopped = false;
  private reader: HeldLetterReader | undefined;
  private failure: Error | undefined;
  private unsettled = 0;
  private slotFreed: (() => void) | undefined;
  private replayed = 0;
  private skipped = 0;
  private failed = 0;
  private total = 0;
  private reported = '';
  private readonly startedAt = Date.now();

  constructor(
    private readonly plan: ReplayPlan,
    private readonly emit: (progress: DeadLetterReplayProgress) => void,
  ) {}

  /** Runs to the end (or to `stop`), session released; rejects with what ended it early. */
  async run(): Promise<void> {
    const { broker, deadLetterQueue: queue, target, matches, countedReads } = this.plan;
    if (this.stopped) return;
    // A filter leaves the others held until the end, then gives them back: counted as deliveries on a quorum queue.
    const strategy = await removalStrategy({ broker, queue, countedReads }, matches !== undefined, FILTERED);
    if (target.to === 'exchange') await broker.checkExchange(target.exchange);
    else await broker.checkQueue(target.queue);
    if (!this.going()) return;
    const session = await broker.open(queue);
    try {
      await this.replay(session, strategy);
    } finally {
      await session.release();
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /** Stops reading and publishing; dead letters not yet acked go back to the queue. */
  stop(): void {
    this.stopped = true;
    // What ended a read is what `replay` rethrows; this call only stops it.
    this.reader?.stop().catch(() => {});
    this.wakeSlot();
  }

  private async replay(session: DeadLetterSession, strategy: ReadStrategy): Promise<void> {
    const count = (depth: number): number => (this.plan.matches === undefined ? Math.min(depth, this.plan.limit) : depth);
    const opened = await openReader(session, strategy, { queue: this.plan.deadLetterQueue, operation: FILTERED }, count);
    const reader = (this.reader = opened.reader);
    this.total = count(opened.depth);
    if (!this.going()) return;
    this.report();
    const barrier = new AckBarrier(session);
    for (let position = 0; this.going() && this.replayed + this.failed + this.unsettled < this.plan.limit; position++) {
      await this.slot(this.plan.window);
      if (!this.going()) break;
      const letter = await this.read(reader);
      if (letter === undefined) break;
      this.take(session, reader, barrier, letter, entryOf(letter, position));
    }
    await this.slot(1);
    await reader.stop().catch((error: unknown) => (this.failure ??= errorOf(error)));
    if (this.going()) this.report();
  }

  private take(
    session: DeadLetterSession,
    reader: HeldLetterReader,
    barrier: AckBarrier,
    letter: HeldLetter,
    entry: DeadLetterEntry,
  ): void {
    if (this.plan.matches !== undefined && !this.plan.matches(entry)) {
      this.skipped++;
      return this.report();
    }
    const copy = replayCopyOf(entry, this.plan.target, this.plan.publishTimeoutMs);
    if (copy === undefined) {
      this.failed++;
      return this.report();
    }
    this.unsettled++;
    void this.republish(session, reader, barrier, letter, copy);
  }

  // Counted in one step with its removal from `unsettled`: the limit counts each dead letter once.
  private async republish(
    session: DeadLetterSession,
    reader: HeldLetterReader,
    barrier: AckBarrier,
    letter: HeldLetter,
    copy: OutboundMessage,
  ): Promise<void> {
    let outcome: 'replayed' | 'failed' | undefined;
    try {
      if ((await session.publish(copy)) === 'unroutable') outcome = 'failed';
      else {
        await reader.ack(letter);
        await barrier.passed();
        outcome = 'replayed';
      }
    } catch (error) {
      this.failure ??= errorOf(error);
      reader.stop().catch(() => {});
    }
    this.unsettled--;
    if (outcome !== undefined) this[outcome]++;
    if (this.going()) this.report();
    this.wakeSlot();
  }

  private async read(reader: HeldLetterReader): Promise<HeldLetter | undefined> {
    try {
      return await reader.next();
    } catch (error) {
      this.failure ??= errorOf(error);
      return undefined;
    }
  }

  private going(): boolean {
    return !this.stopped && this.failure === undefined;
  }

  /** Waits until fewer than `size` copies are unsettled, or the replay was stopped or failed (what is unsettled then goes back). */
  private async slot(size: number): Promise<void> {
    while (this.unsettled >= size && this.going()) await new Promise<void>((resolve) => (this.slotFreed = resolve));
  }

  private wakeSlot(): void {
    const wake = this.slotFreed;
    this.slotFreed = undefined;
    wake?.();
  }

  /** Emits the progress, unless its counts are those emitted last. */
  private report(): void {
    const progress = this.progress();
    const counts = `${progress.replayed} ${progress.skipped} ${progress.failed} ${progress.total}`;
    if (counts === this.reported) return;
    this.reported = counts;
    this.emit(progress);
  }

  private progress(): DeadLetterReplayProgress {
    const { replayed, skipped, failed, total } = this;
    const seconds = (Date.now() - this.startedAt) / 1000;
    return replayed === 0 && skipped === 0 && failed === 0
      ? { replayed, skipped, failed, total }
      : { replayed, skipped, failed, total, ratePerSec: Math.round((replayed / Math.max(seconds, 0.001)) * 10) / 10 };
  }
}

// What ends a replay is one of our typed errors; anything else is wrapped so that it can be thrown as an Error.
function errorOf(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
