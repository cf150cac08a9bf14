import type { DeadLetterSession, HeldLetter, LetterConsumer } from './dead-letter-queue.js';

/** Deliveries one consumer may hold: one generation of the reader. */
const BATCH = 500;
/** How long a consumer waits for a delivery before the reader asks whether the queue has any left. */
const IDLE_MS = 250;

/**
 * One consumer of the reader, asked for exactly `prefetch` deliveries. It is
 * cancelled as soon as they came, before any of them is acked: a consumer
 * whose every delivery is still unacked gets nothing more, so no consumer is
 * ever handed a message beyond the ones the reader asked for.
 */
interface Generation {
  readonly prefetch: number;
  delivered: number;
  started: Promise<LetterConsumer> | undefined;
  retiring: Promise<void> | undefined;
  retired: boolean;
  /** Acks held back until it is cancelled (each sends one). */
  readonly deferred: (() => void)[];
  idle: NodeJS.Timeout | undefined;
}

/** Reads a queue's messages in order, one at a time (a pull), holding each until the caller acks it or the session releases it. */
export interface HeldLetterReader {
  /** The next message in queue order; undefined at the end of what it reads, or once stopped. */
  next(): Promise<HeldLetter | undefined>;
  /** Removes a letter read here from the queue; resolves once the ack was sent. */
  ack(letter: HeldLetter): Promise<void>;
  /** Stops reading: what was read and not acked stays held, for the session to give back. */
  stop(): Promise<void>;
}

/**
 * Reads the first `max` messages of a queue, in order, one at a time (a
 * pull), holding each until the caller acks it or the session releases it.
 *
 * It reads through a series of consumers of exactly known size (the
 * remaining count, at most {@link BATCH}), and acks a delivery only once its
 * consumer was cancelled. So the broker never delivers a message the caller
 * did not ask for, and nothing is given back that was not read: on a quorum
 * queue, where every message given back counts as a delivery (and past a
 * delivery limit is dropped), a read-and-remove of the whole queue gives
 * nothing back.
 */
export class LetterReader implements HeldLetterReader {
  private readonly ready: HeldLetter[] = [];
  private readonly generationOf = new WeakMap<HeldLetter, Generation>();
  private readonly generations = new Set<Generation>();
  private current: Generation | undefined;
  private received = 0;
  private exhausted = false;
  private stopped = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly session: DeadLetterSession,
    private readonly max: number,
    private readonly batch = BATCH,
  ) {}

  /** The next message in queue order; undefined once `max` were read, the queue has no more, or the reader stopped. */
  async next(): Promise<HeldLetter | undefined> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const letter = this.ready.shift();
      if (letter !== undefined) return letter;
      if (this.stopped || this.exhausted || this.received >= this.max) return undefined;
      const current = this.current;
      if (current === undefined || current.retiring !== undefined) await this.startGeneration(current);
      else await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Acks a letter read here; resolves once the ack was sent (held back while its consumer is not yet cancelled). */
  ack(letter: HeldLetter): Promise<void> {
    const generation = this.generationOf.get(letter);
    if (generation === undefined || generation.retired || this.failure !== undefined) {
      this.session.ack(letter);
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      generation.deferred.push(() => {
        this.session.ack(letter);
        resolve();
      }),
    );
  }

  /** Stops reading: cancels the consumer and sends the acks held back. Letters not taken stay held, for the session to give back. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.notify();
    await Promise.all([...this.generations].map((generation) => this.retire(generation)));
  }

  private async startGeneration(previous: Generation | undefined): Promise<void> {
    if (previous !== undefined) await previous.retiring;
    if (this.stopped || this.failure !== undefined) return;
    const generation: Generation = {
      prefetch: Math.min(this.batch, this.max - this.received),
      delivered: 0,
      started: undefined,
      retiring: undefined,
      retired: false,
      deferred: [],
      idle: undefined,
    };
    this.current = generation;
    this.generations.add(generation);
    generation.started = this.session.consume(
      generation.prefetch,
      (letter) => this.delivered(generation, letter),
      (error) => this.fail(error),
    );
    try {
      await generation.started;
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    if (generation.retiring === undefined) this.armIdle(generation);
  }

  private delivered(generation: Generation, letter: HeldLetter): void {
    generation.delivered++;
    // Past `max` (only once stopped): held, and given back with the session.
    if (!this.stopped && this.received < this.max) {
      this.received++;
      this.generationOf.set(letter, generation);
      this.ready.push(letter);
    }
    if (generation.delivered >= generation.prefetch) void this.retire(generation);
    else this.armIdle(generation);
    this.notify();
  }

  private retire(generation: Generation): Promise<void> {
    clearTimeout(generation.idle);
    generation.retiring ??= (async () => {
      try {
        await (await generation.started)?.cancel();
      } catch (error) {
        this.fail(error as Error);
      }
      generation.retired = true;
      this.generations.delete(generation);
      for (const send of generation.deferred.splice(0)) send();
      this.notify();
    })();
    return generation.retiring;
  }

  // No delivery for a while: when nothing is ready, the queue holds fewer than asked for (another reader took some).
  private armIdle(generation: Generation): void {
    clearTimeout(generation.idle);
    generation.idle = setTimeout(() => {
      this.session.readyCount().then(
        (ready) => {
          if (generation.retiring !== undefined) return;
          if (ready > 0) return this.armIdle(generation);
          this.exhausted = true;
          void this.retire(generation);
        },
        (error: unknown) => this.fail(error as Error),
      );
    }, IDLE_MS);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    // Held-back acks go out (a dead session drops them): whoever waits for them must not wait forever.
    for (const generation of this.generations) {
      clearTimeout(generation.idle);
      for (const send of generation.deferred.splice(0)) send();
    }
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
