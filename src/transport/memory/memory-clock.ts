import type { SchedulerLike } from 'rxjs';
import type { CancelTimer, PublishClock } from '../publish-buffer.js';

export type { CancelTimer } from '../publish-buffer.js';

/**
 * Where a memory broker takes its time from: dispatch turns, message TTLs,
 * delayed deliveries, reconnects and publish timeouts all go through one
 * clock, so that swapping it (for an RxJS `TestScheduler`) moves all of them
 * into virtual time together.
 */
export interface MemoryClock extends PublishClock {
  /** Runs `work` after `delayMs`; 0 means on a later turn, never synchronously. */
  schedule(work: () => void, delayMs: number): void;
  /** Like `schedule`, and returns a cancel function. */
  timer(work: () => void, delayMs: number): CancelTimer;
  /** Milliseconds since the epoch, for what a broker stamps with the time of day (`x-death`'s `time`); `now()` is only monotonic. */
  epochMs(): number;
}

// Captured at load so that a test's fake timers cannot freeze the broker: it stands for a network peer.
const setImmediateAtLoad = globalThis.setImmediate;
const clearImmediateAtLoad = globalThis.clearImmediate;
const setTimeoutAtLoad = globalThis.setTimeout;
const clearTimeoutAtLoad = globalThis.clearTimeout;
const nowAtLoad = performance.now.bind(performance);

/** The event loop's own timers, as they were when this module loaded. */
export const realClock: MemoryClock = {
  now: nowAtLoad,
  epochMs: () => performance.timeOrigin + nowAtLoad(),
  schedule(work, delayMs) {
    if (delayMs > 0) setTimeoutAtLoad(work, delayMs);
    else setImmediateAtLoad(work);
  },
  timer(work, delayMs) {
    if (delayMs > 0) {
      const timeout = setTimeoutAtLoad(work, delayMs);
      return () => clearTimeoutAtLoad(timeout);
    }
    const immediate = setImmediateAtLoad(work);
    return () => clearImmediateAtLoad(immediate);
  },
};

/**
 * A clock over an RxJS scheduler: a `TestScheduler` (virtual time, advanced by
 * its `flush()` or inside `run()`), or `asyncScheduler`. Its `now()` and the
 * delays share the scheduler's units (milliseconds, or frames in `run()`).
 */
export function clockOf(scheduler: SchedulerLike): MemoryClock {
  return {
    now: () => scheduler.now(),
    // Virtual time starts at the epoch: a TestScheduler's frames are its milliseconds since 1970.
    epochMs: () => scheduler.now(),
    schedule(work, delayMs) {
      scheduler.schedule(work, delayMs);
    },
    timer(work, delayMs) {
      const subscription = scheduler.schedule(work, delayMs);
      return () => subscription.unsubscribe();
    },
  };
}
