import type { VirtualTimeScheduler } from 'rxjs';
import { ConfigError, ErrorCode } from '../errors.js';

// Captured at load, so that a test's fake timers cannot stop the Promises from settling.
const setImmediateAtLoad = globalThis.setImmediate;

/** Lets every pending Promise continuation run: one turn of the event loop. */
function settlePromises(): Promise<void> {
  return new Promise((resolve) => setImmediateAtLoad(resolve));
}

/**
 * Moves a `TestScheduler` (any `VirtualTimeScheduler`) `ms` forward, frame by
 * frame, letting Promises settle between frames: what `flush()` cannot do,
 * since it runs every frame in one synchronous go. A bus lives on Promises
 * (`publish`, acks after a confirmed dead letter), so a bus on a scheduler
 * (see `testBus({ scheduler })`) is driven with this, outside `run()`.
 * No real time passes beyond a few turns of the event loop.
 *
 * @example
 * // From README.md, "Testing your handlers" (compiled and run by the tests):
 * const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
 * const bus = await testBus({ queue: 'billing', scheduler, handlerTimeoutMs: 2_000, retry: { attempts: 2, delaysMs: 10_000 } });
 * const settled: string[] = [];
 * bus.settlements$.subscribe((s) => settled.push(`${scheduler.now()} ${settlementLetter(s)}`));
 * let calls = 0;
 * bus.handle('order.paid', (event) => (++calls === 1 ? NEVER : charge(event)));
 * await bus.ready();
 * await bus.publish(small);
 * await advanceVirtualTime(scheduler, 60_000); // a minute of broker and handler time, at once
 * expect(settled).toEqual(['2000 r', '12000 a']);
 *
 * @throws {ConfigError} `INVALID_ARGUMENT` unless `ms` is a finite number, 0 or more.
 */
export async function advanceVirtualTime(scheduler: VirtualTimeScheduler, ms: number): Promise<void> {
  if (!(Number.isFinite(ms) && ms >= 0)) {
    throw new ConfigError(
      ErrorCode.INVALID_ARGUMENT,
      `advanceVirtualTime(scheduler, ms): ms must be a finite number of frames, 0 or more (got ${String(ms)})`,
    );
  }
  const target = scheduler.frame + ms;
  const { maxFrames } = scheduler;
  try {
    for (;;) {
      await settlePromises();
      const next = scheduler.actions[0];
      if (next === undefined || next.delay > target) break;
      scheduler.maxFrames = next.delay;
      scheduler.flush();
    }
  } finally {
    scheduler.maxFrames = maxFrames;
  }
  scheduler.frame = Math.max(scheduler.frame, target);
}
