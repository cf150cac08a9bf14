import { type MemoryClock, realClock } from './memory-clock.js';

/** A queue that can take a dispatch turn. */
export interface Dispatchable {
  /** Delivers up to `budget` messages, and asks for another turn if more are deliverable. */
  dispatchTurn(budget: number): void;
}

/** Deliveries per queue per turn, before yielding to I/O and timers. */
const BATCH = 8_192;

/**
 * The broker's clock and its dispatch turns: deliveries go out in batches on
 * a later turn of the clock, never inside a publish, as a network broker's
 * would. Many requests, one turn.
 */
export class MemoryDispatch {
  /** Dispatch turns, TTLs and the transports' reconnects and publish timeouts run on it. */
  clock: MemoryClock = realClock;
  private dirty: Dispatchable[] = [];
  private turnScheduled = false;
  private delayMs = 0;

  /** Moves onto another clock; a turn already scheduled on the old one runs there too. */
  setClock(clock: MemoryClock): void {
    this.clock = clock;
    if (this.turnScheduled) this.clock.schedule(this.turn, this.delayMs);
  }

  /** Each turn runs `ms` after it was asked for (0: on the next turn of the clock). */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  /** Asks for a turn of `queue`; the queue asks once until its turn came. */
  schedule(queue: Dispatchable): void {
    this.dirty.push(queue);
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    this.clock.schedule(this.turn, this.delayMs);
  }

  private readonly turn = (): void => {
    this.turnScheduled = false;
    const dirty = this.dirty;
    this.dirty = [];
    for (const queue of dirty) queue.dispatchTurn(BATCH);
  };
}
