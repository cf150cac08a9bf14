import { ConfigError, ErrorCode, show } from '../errors.js';
import type { DeadLetterSession, HeldLetter } from './dead-letter-queue.js';
import type { HeldLetterReader } from './letter-reader.js';

/**
 * The most messages a whole-queue read holds: AMQP 0-9-1's prefetch count is
 * 16 bits, and the order holds only for the deliveries of one consumer (two
 * consumers' come back one consumer's after the other's: measured).
 */
export const WHOLE_QUEUE_MAX = 65_535;
/** No delivery for this long: ask whether the queue still has a message not held here. */
const IDLE_MS = 100;

/**
 * Reads every message of a queue through one consumer that may hold them
 * all, and keeps that consumer until the session is released, so that
 * closing the channel gives everything back at once.
 *
 * Why (a RabbitMQ 3.10 quorum queue, measured): a channel closed while
 * holding every message of the queue gives them back in their original
 * order, each counted as a delivery; holding only some, it puts those behind
 * the ones it did not hold. So the read covers the whole queue even when the
 * caller wants only its head: `next()` ends at the end of the queue, and
 * `stop()` waits until everything is held. A message that arrives meanwhile
 * is delivered here too (the consumer has room) and held, not handed out,
 * and goes back last, where it belongs. Acked letters are removed and change
 * nothing for the others.
 */
export class WholeQueueReader implements HeldLetterReader {
  private readonly ready: HeldLetter[] = [];
  private received = 0;
  private acked = 0;
  /** Every message of the queue is held here: nothing is ready on the broker. */
  private complete = false;
  /** The caller takes no more letters: those delivered from now on are only counted. */
  private stopped = false;
  private checking = false;
  private failure: Error | undefined;
  private idle: NodeJS.Timeout | undefined;
  private waiting: { promise: Promise<void>; resolve: () => void } | undefined;

  private constructor(
    private readonly session: DeadLetterSession,
    private readonly queue: string,
    private readonly operation: string,
    /** Ready messages when the read started. */
    readonly depth: number,
  ) {}

  /**
   * Starts a whole-queue read of the session's queue.
   * @throws {ConfigError} `UNSAFE_READ` when the queue holds more than
   *   {@link WHOLE_QUEUE_MAX} messages, or has another consumer (what it
   *   holds would come back apart from the rest, out of order).
   */
  static async open(session: DeadLetterSession, queue: string, operation: string): Promise<WholeQueueReader> {
    const depth = await session.readyCount();
    if (depth > WHOLE_QUEUE_MAX) throw tooLarge(operation, queue, `holds ${depth} messages`);
    const consumers = await session.consumerCount();
    if (consumers > 0) {
      throw new ConfigError(
        ErrorCode.UNSAFE_READ,
        `${operation} refused: queue ${show(queue)} has ${consumers} consumer(s) (another rx-pubsub dlq command?). ` +
          'A read of a quorum queue must hold every message to give them back in order; try again once it is alone',
      );
    }
    const reader = new WholeQueueReader(session, queue, operation, depth);
    await session.consume(
      WHOLE_QUEUE_MAX,
      (letter) => reader.delivered(letter),
      (error) => reader.fail(error),
    );
    if (depth === 0) reader.check();
    return reader;
  }

  async next(): Promise<HeldLetter | undefined> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const letter = this.ready.shift();
      if (letter !== undefined) return letter;
      if (this.complete || this.stopped) return undefined;
      await this.changed();
    }
  }

  ack(letter: HeldLetter): Promise<void> {
    this.acked++;
    this.session.ack(letter);
    return Promise.resolve();
  }

  /**
   * Takes no more letters, and waits until the whole queue is held: the
   * session's release then gives it back in order. Rejects with what ended
   * the read first (a lost connection, a queue that outgrew the bound).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ready.length = 0;
    this.notify();
    while (!this.complete && this.failure === undefined) await this.changed();
    if (this.failure !== undefined) throw this.failure;
  }

  private delivered(letter: HeldLetter): void {
    this.received++;
    // One that arrived after the read started is held (to go back in order) but not handed out: operations see the queue as it was.
    if (!this.stopped && this.received <= this.depth) this.ready.push(letter);
    if (this.received >= this.depth) this.check();
    else this.armIdle();
    this.notify();
  }

  /** Complete once nothing is ready: every message is held here (or by nobody else: there was no other consumer). */
  private check(): void {
    clearTimeout(this.idle);
    if (this.complete || this.checking || this.failure !== undefined) return;
    this.checking = true;
    this.session.readyCount().then(
      (ready) => {
        this.checking = false;
        if (ready === 0) {
          this.complete = true;
          this.notify();
        } else if (this.received - this.acked >= WHOLE_QUEUE_MAX) {
          this.fail(tooLarge(this.operation, this.queue, `grew past ${WHOLE_QUEUE_MAX} messages while it was read`));
        } else this.armIdle();
      },
      (error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))),
    );
  }

  private armIdle(): void {
    clearTimeout(this.idle);
    if (!this.complete) this.idle = setTimeout(() => this.check(), IDLE_MS);
  }

  private fail(error: Error): void {
    clearTimeout(this.idle);
    this.failure ??= error;
    this.notify();
  }

  private changed(): Promise<void> {
    if (this.waiting === undefined) {
      let resolve = (): void => {};
      const promise = new Promise<void>((done) => (resolve = done));
      this.waiting = { promise, resolve };
    }
    return this.waiting.promise;
  }

  private notify(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve();
  }
}

function tooLarge(operation: string, queue: string, what: string): ConfigError {
  return new ConfigError(
    ErrorCode.UNSAFE_READ,
    `${operation} refused: quorum queue ${show(queue)} ${what}; a read that gives messages back must hold the whole queue to keep its order, ` +
      `${WHOLE_QUEUE_MAX} messages at most (one consumer's prefetch). Replay or purge without a filter (which removes what it reads), or look in the management UI`,
  );
}
