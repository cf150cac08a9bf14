/**
 * Polling on the wall clock, for tests on either transport: the one `waitFor`
 * of the suite. A call site whose timing matters passes `intervalMs` and
 * `timeoutMs`. A test on the memory broker alone waits in virtual time
 * instead (`virtualClock` in memory.ts, `advanceVirtualTime`) where it can.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** @default 5_000 */
  timeoutMs?: number;
  /** @default 50 */
  intervalMs?: number;
  /** What is awaited, for the timeout message. @default the predicate's source */
  description?: string;
}

/**
 * Polls `predicate` until it returns true; a predicate that throws counts as
 * "not yet". Rejects after `timeoutMs` with an error naming what was awaited
 * and the predicate's last error.
 */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  { timeoutMs = 5_000, intervalMs = 50, description }: WaitForOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
  const what = description ?? predicate.toString().replace(/\s+/g, ' ').slice(0, 120);
  const last = lastError === undefined ? '' : `; last error: ${errorMessage(lastError)}`;
  throw new Error(`waitFor timed out after ${timeoutMs} ms waiting for: ${what}${last}`, { cause: lastError });
}

/** An error's message, or the value as a string. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
