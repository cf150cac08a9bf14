import { ConfigError, ErrorCode, show } from '../errors.js';

/**
 * How often a failed delivery is tried again, and after how long. Retries
 * wait on the broker, in a delay queue per delay (`Q.retry.<ms>`), so no
 * process holds them in memory and a crash loses nothing.
 *
 * @example
 * { attempts: 4, delaysMs: [1_000, 10_000, 60_000] } // then Q.dlq
 * { attempts: 6, delaysMs: 500, factor: 2 }           // 500, 1000, 2000, 4000, 8000 ms
 */
export interface RetryPolicy {
  /** Attempts in all, the first included: 3 is one try and two retries. */
  readonly attempts: number;
  /** The delay before each retry: a list (its last value repeats), or the first delay, growing by `factor`. */
  readonly delaysMs: number | readonly number[];
  /** Growth of a single `delaysMs` per retry. @default 2 */
  readonly factor?: number;
  /** Cap on any delay. @default 3_600_000 (one hour) */
  readonly maxDelayMs?: number;
}

const MAX_DELAY_MS = 3_600_000;

/** The delay before retry number `retry` (1 = the first retry), in whole milliseconds. */
export function retryDelayMs(policy: RetryPolicy, retry: number): number {
  const cap = policy.maxDelayMs ?? MAX_DELAY_MS;
  const { delaysMs } = policy;
  const delay =
    typeof delaysMs === 'number' ? delaysMs * (policy.factor ?? 2) ** (retry - 1) : (delaysMs[Math.min(retry, delaysMs.length) - 1] ?? 0);
  return Math.max(1, Math.round(Math.min(delay, cap)));
}

/**
 * Checks a retry policy once, where it is given.
 * @throws {ConfigError} `INVALID_OPTIONS`, naming the field and the fix.
 */
export function checkRetryPolicy(value: unknown, where: string): RetryPolicy {
  // `problem` starts with the field (".attempts must ...") or a space (" must be ...").
  const fail = (problem: string): never => {
    throw new ConfigError(ErrorCode.INVALID_OPTIONS, `${where}${problem}, e.g. { attempts: 3, delaysMs: [1000, 5000] }`);
  };
  if (typeof value !== 'object' || value === null) fail(' must be an object { attempts, delaysMs }');
  const policy = value as Record<string, unknown>;
  for (const key of Object.keys(policy)) {
    if (!['attempts', 'delaysMs', 'factor', 'maxDelayMs'].includes(key)) fail(` has an unknown field "${key}"`);
  }
  if (!Number.isSafeInteger(policy.attempts) || (policy.attempts as number) < 1 || (policy.attempts as number) > 1_000) {
    fail(`.attempts must be an integer from 1 to 1000 (got ${show(policy.attempts)})`);
  }
  const delays = Array.isArray(policy.delaysMs) ? policy.delaysMs : [policy.delaysMs];
  if (delays.length === 0 || !delays.every((d) => typeof d === 'number' && Number.isFinite(d) && d >= 1 && d <= MAX_DELAY_MS)) {
    fail(`.delaysMs must be a number or a non-empty list of numbers from 1 to ${MAX_DELAY_MS} (got ${show(policy.delaysMs)})`);
  }
  if (policy.factor !== undefined && (typeof policy.factor !== 'number' || !(policy.factor >= 1 && policy.factor <= 100))) {
    fail(`.factor must be a number from 1 to 100 (got ${show(policy.factor)})`);
  }
  if (policy.maxDelayMs !== undefined && (!Number.isSafeInteger(policy.maxDelayMs) || (policy.maxDelayMs as number) < 1)) {
    fail(`.maxDelayMs must be a positive integer (got ${show(policy.maxDelayMs)})`);
  }
  const delaysMs = Array.isArray(policy.delaysMs) ? Object.freeze([...(policy.delaysMs as number[])]) : policy.delaysMs;
  return Object.freeze({ ...policy, delaysMs }) as unknown as RetryPolicy;
}
