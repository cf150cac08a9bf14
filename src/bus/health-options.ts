import { ConfigError, ErrorCode, show } from '../errors.js';

/** The options of `bus.health()`, as `resolveOptions` knows them. */
export const HEALTH_OPTIONS = ['healthGracePeriodMs'] as const;

/**
 * 30 s: the default `publishTimeoutMs`, the time the bus bridges an outage for its publishers, and
 * about the longest pause between two attempts to set a failing consumer up again. A broker
 * restart or a node's rolling upgrade fits in it, and shows as `degraded`, not `down`.
 */
export const DEFAULT_HEALTH_GRACE_PERIOD_MS = 30_000;

/** The health options with their defaults applied. */
export interface ResolvedHealthOptions {
  readonly healthGracePeriodMs: number;
}

/**
 * Validates the health options of `EventBus.connect`.
 *
 * @throws {ConfigError} `INVALID_OPTIONS`, naming the option and the fix.
 */
export function healthOptionsOf(options: { readonly healthGracePeriodMs?: unknown }): ResolvedHealthOptions {
  const value = options.healthGracePeriodMs ?? DEFAULT_HEALTH_GRACE_PERIOD_MS;
  if (!Number.isSafeInteger(value) || (value as number) < 0 || (value as number) > 2 ** 31 - 1) {
    throw new ConfigError(
      ErrorCode.INVALID_OPTIONS,
      `EventBus option healthGracePeriodMs must be an integer from 0 to ${2 ** 31 - 1} milliseconds (got ${show(value)})`,
    );
  }
  return { healthGracePeriodMs: value as number };
}
