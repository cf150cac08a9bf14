import { ConnectionError, ErrorCode, type PublishError } from '../errors.js';
import { Deque } from './deque.js';
import { bufferFullError } from './publish-errors.js';
import type { OutboundMessage, PublishCallback } from './transport.js';

/** Cancels a timer; harmless once it fired. */
export type CancelTimer = () => void;

/** Where a buffer takes its time from: the wall clock (AMQP), or the memory broker's (virtual time in tests). */
export interface PublishClock {
  /** Milliseconds on this clock's own time line (only differences matter). */
  now(): number;
  /** Runs `work` after `delayMs`; returns a cancel function. */
  timer(work: () => void, delayMs: number): CancelTimer;
}

/** The event loop's clock; its one timer never keeps the process alive. */
export const wallClock: PublishClock = {
  now: Date.now,
  timer(work, delayMs) {
    const timeout = setTimeout(work, delayMs).unref();
    return () => clearTimeout(timeout);
  },
};

/** Options of {@link PublishBuffer}. */
export interface PublishBufferOptions {
  readonly clock: PublishClock;
  /** Unsettled publishes it may hold (waiting and in flight) before `hold` rejects with `PUBLISH_BUFFER_FULL`. */
  readonly maxPending: number;
  /** What a publish past its `timeoutMs` rejects with; the transport says why. */
  readonly timeoutError: (message: OutboundMessage) => PublishError;
}

/** One publish, from `hold` until it is settled. `S` is where it was sent (an AMQP channel). */
export class HeldPublish<S = never> {
  /** Where it was last sent; its confirm is awaited there. */
  sentOn: S | undefined = undefined;
  /** The broker returned it as unroutable (AMQP's basic.return comes before its confirm). */
  returned = false;
  /** @internal */
  settled = false;

  constructor(
    readonly message: OutboundMessage,
    /** On the buffer's clock. */
    readonly deadline: number,
    /** @internal */
    readonly done: PublishCallback,
  ) {}
}

/**
 * The publishes a transport holds until settled: waiting to be sent (the
 * connection is down or blocked), then in flight until the broker answers.
 * It bounds them, times each out after its `timeoutMs`, and drains them on close.
 *
 * One timer for all, armed for the earliest deadline, rather than one each:
 * a timer per message costs more than the rest of a publish.
 */
export class PublishBuffer<S = never> {
  /** In order; settled ones (abandoned on close) are skipped by `next()`. */
  private readonly waitingQueue = new Deque<HeldPublish<S>>();
  /** Sent, waiting for the broker's answer, in the order sent. */
  readonly inFlight = new Set<HeldPublish<S>>();
  private unsettled = 0;
  private idle: (() => void) | undefined;
  private cancelSweep: CancelTimer | undefined;
  private sweepDue = Infinity;

  constructor(private readonly options: PublishBufferOptions) {}

  /** Publishes not settled yet, waiting or in flight. */
  get size(): number {
    return this.unsettled;
  }

  /** Publishes waiting to be sent. */
  get waiting(): number {
    return this.waitingQueue.length;
  }

  /**
   * Holds `message` until it is settled, then calls `done` (see {@link PublishCallback}). When the buffer is
   * full it holds nothing, never calls `done`, and returns the `PUBLISH_BUFFER_FULL` error.
   */
  holdWith(message: OutboundMessage, done: PublishCallback): PublishError | undefined {
    const { clock, maxPending } = this.options;
    if (this.unsettled >= maxPending) return bufferFullError(maxPending);
    const held = new HeldPublish<S>(message, clock.now() + message.timeoutMs, done);
    this.waitingQueue.push(held);
    this.unsettled++;
    this.armSweep(held.deadline);
    return undefined;
  }

  /** Holds `message` until it is settled; rejects at once when the buffer is full. */
  hold(message: OutboundMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- What a held publish is settled with is always an RxPubsubError
      const full = this.holdWith(message, (error) => (error === undefined ? resolve() : reject(error)));
      if (full) reject(full);
    });
  }

  /** The next publish to send, in order; `undefined` when none waits. */
  next(): HeldPublish<S> | undefined {
    while (this.waitingQueue.length > 0) {
      const held = this.waitingQueue.shift() as HeldPublish<S>;
      if (!held.settled) return held;
    }
    return undefined;
  }

  /** It was sent on `on`: in flight until `confirmed` or `settle`d. */
  sent(held: HeldPublish<S>, on: S): void {
    held.sentOn = on;
    held.returned = false;
    this.inFlight.add(held);
  }

  /** Back to the head of the waiting ones, in the order given, to be sent again. */
  putBack(held: readonly HeldPublish<S>[]): void {
    for (let i = held.length - 1; i >= 0; i--) {
      const one = held[i] as HeldPublish<S>;
      this.inFlight.delete(one);
      this.waitingQueue.unshift(one);
    }
  }

  /** The broker confirmed it: resolves it, unless it left the flight meanwhile (put back, or settled). */
  confirmed(held: HeldPublish<S>): void {
    if (this.inFlight.delete(held)) this.done(held, undefined);
  }

  /** Resolves it (no `error`) or rejects it, wherever it is; false when it was settled already. */
  settle(held: HeldPublish<S>, error: unknown): boolean {
    if (held.settled) return false;
    this.inFlight.delete(held);
    this.done(held, error);
    return true;
  }

  /**
   * Resolves once every held publish is settled. With `timeoutMs`, the ones
   * still held then reject with `CLOSED`, and it resolves `false`.
   */
  drain(timeoutMs?: number): Promise<boolean> {
    if (this.unsettled === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const cancel = timeoutMs === undefined ? undefined : this.options.clock.timer(() => resolve(this.abandon()), Math.max(0, timeoutMs));
      this.idle = () => {
        cancel?.();
        resolve(true);
      };
    });
  }

  private abandon(): false {
    this.idle = undefined;
    for (const held of [...this.inFlight, ...this.waitingQueue.toArray()]) this.settle(held, abandonedError(held.sentOn !== undefined));
    return false;
  }

  private done(held: HeldPublish<S>, error: unknown): void {
    held.settled = true;
    const idle = --this.unsettled === 0;
    if (idle) this.stopSweep();
    try {
      held.done(error);
    } finally {
      // After the callback, as a Promise-based buffer resolved the publish before `drain`.
      if (idle && this.unsettled === 0) this.idle?.();
    }
  }

  private armSweep(deadline: number): void {
    if (deadline >= this.sweepDue) return;
    this.cancelSweep?.();
    const { clock } = this.options;
    this.sweepDue = deadline;
    this.cancelSweep = clock.timer(this.sweep, Math.max(0, deadline - clock.now()));
  }

  private stopSweep(): void {
    this.cancelSweep?.();
    this.cancelSweep = undefined;
    this.sweepDue = Infinity;
  }

  // Rejects every publish past its deadline, and arms the timer for the next deadline.
  private readonly sweep = (): void => {
    this.cancelSweep = undefined;
    this.sweepDue = Infinity;
    const now = this.options.clock.now();
    let next = Infinity;
    for (const held of [...this.waitingQueue.toArray(), ...this.inFlight]) {
      if (held.settled) continue;
      if (held.deadline <= now) this.settle(held, this.options.timeoutError(held.message));
      else next = Math.min(next, held.deadline);
    }
    // The timed-out ones leave the queue now, not when it is sent from again: through a long outage they would
    // pile up past maxPending, each keeping its body and callback.
    const waiting = this.waitingQueue.toArray();
    this.waitingQueue.clear();
    for (const held of waiting) if (!held.settled) this.waitingQueue.push(held);
    if (next !== Infinity && this.unsettled > 0) this.armSweep(next);
  };
}

/** Past close's deadline: a publish never sent was not delivered; one sent may or may not have been. */
function abandonedError(sent: boolean): ConnectionError {
  const fate = sent ? 'the broker did not confirm it: it may or may not have been delivered' : 'it was never sent: it was not delivered';
  return new ConnectionError(ErrorCode.CLOSED, `The transport closed (close() deadline passed) before this publish was settled; ${fate}`);
}
