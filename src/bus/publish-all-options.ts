import { ConfigError, ErrorCode, isRxPubsubError } from '../errors.js';
import { safeMessageOf } from './checked-arguments.js';

/** Options of {@link EventBus.publishAll}. */
export interface PublishAllOptions {
  /**
   * Events published and not yet emitted by the result (unconfirmed, or confirmed behind an unconfirmed one): the
   * backpressure. An iterable source is pulled only while fewer are out; an Observable's values wait in a queue.
   * At most `maxPendingPublishes` (other publishes of the bus count against it too).
   * @default 1000, or `maxPendingPublishes` when smaller
   */
  readonly window?: number;
}

/** The default window (bounded by `maxPendingPublishes`). */
export const DEFAULT_PUBLISH_WINDOW = 1_000;

/**
 * The window of `publishAll(source, options)`.
 * @throws {ConfigError} `INVALID_ARGUMENT` when `options` is not an object, `INVALID_OPTIONS` for a bad `window`.
 */
export function publishWindowOf(options: unknown, maxPending: number): number {
  let window: unknown;
  try {
    if (options === undefined) return Math.min(DEFAULT_PUBLISH_WINDOW, maxPending);
    if (typeof options !== 'object' || options === null) {
      throw new ConfigError(ErrorCode.INVALID_ARGUMENT, 'publishAll(source, options): options must be an object such as { window: 100 }');
    }
    window = (options as { readonly window?: unknown }).window;
  } catch (error) {
    if (isRxPubsubError(error)) throw error;
    throw new ConfigError(ErrorCode.INVALID_ARGUMENT, `publishAll(source, options): options could not be read (${safeMessageOf(error)})`, {
      cause: error,
    });
  }
  if (window === undefined) return Math.min(DEFAULT_PUBLISH_WINDOW, maxPending);
  if (typeof window !== 'number' || !Number.isSafeInteger(window) || window < 1 || window > maxPending) {
    throw new ConfigError(
      ErrorCode.INVALID_OPTIONS,
      `publishAll() option window must be an integer from 1 to maxPendingPublishes (${maxPending}) (got ${typeof window === 'number' ? window : typeof window})`,
    );
  }
  return window;
}
