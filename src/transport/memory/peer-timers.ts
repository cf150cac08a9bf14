import type { CancelTimer } from './memory-clock.js';

// Captured at load, as the real clock's are: a test's fake timers cannot freeze the broker.
const setTimeoutAtLoad = globalThis.setTimeout;
const clearTimeoutAtLoad = globalThis.clearTimeout;

/**
 * The timers of a memory broker's own work (a message's TTL in a delay
 * queue), on the event loop. A network broker's clock never keeps a client
 * process alive; these keep it alive only while a connection to the broker
 * is open, so that an application waiting for a retry still gets it, and a
 * demo or a test that closed its last bus ends at once instead of when the
 * longest retry delay runs out.
 */
export class PeerTimers {
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();
  private holding = false;

  /** Runs `work` after `delayMs` milliseconds; returns a cancel function. */
  timer(work: () => void, delayMs: number): CancelTimer {
    const timeout = setTimeoutAtLoad(() => {
      this.pending.delete(timeout);
      work();
    }, delayMs);
    if (!this.holding) timeout.unref();
    this.pending.add(timeout);
    return () => {
      clearTimeoutAtLoad(timeout);
      this.pending.delete(timeout);
    };
  }

  /** Whether a connection is open: only then do the pending timers hold the process. */
  hold(holding: boolean): void {
    if (holding === this.holding) return;
    this.holding = holding;
    for (const timeout of this.pending) {
      if (holding) timeout.ref();
      else timeout.unref();
    }
  }
}
