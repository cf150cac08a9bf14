import { ConfigError, ErrorCode, isRxPubsubError, show } from '../errors.js';
import { safeMessageOf } from './checked-arguments.js';
import type { HistoryReadOptions } from '../transport/transport.js';

/**
 * Options of `replay$`.
 *
 * | `from`    | the replay starts at                                                                  |
 * |-----------|---------------------------------------------------------------------------------------|
 * | `'first'` | the oldest event the history keeps                                                    |
 * | `'last'`  | the newest event (on RabbitMQ, the newest chunk: the events written in one batch with it) |
 * | a `Date`  | the first event timestamped at or after it                                            |
 * | a number  | that offset: the position in the stream, 0 for the first message it ever held          |
 */
export interface ReplayOptions {
  /** Where the replay starts: `'first'`, `'last'`, a `Date` or an offset (see the table above). Required. */
  readonly from: 'first' | 'last' | Date | number;
  /**
   * After the last event the history held at subscribe time, go on with the
   * events published since and from then on, live, on the same consumer:
   * no gap, no duplicate. The Observable then completes only when unsubscribed.
   * @default false: it completes at the end of the history
   */
  readonly follow?: boolean;
  /** Events read ahead of the subscriber: the stream consumer's prefetch. @default 100 */
  readonly prefetch?: number;
}

const KNOWN = ['from', 'follow', 'prefetch'];
const DEFAULT_PREFETCH = 100;

/**
 * The `replay$` options, checked, as the transport reads them.
 *
 * @throws {ConfigError} `INVALID_ARGUMENT`, naming the option and the fix.
 */
export function readOptionsOf(options: ReplayOptions, pattern: string): HistoryReadOptions {
  const where = `replay$("${pattern}", options)`;
  try {
    return checked(options, where);
  } catch (error) {
    if (isRxPubsubError(error)) throw error;
    // A getter or a Proxy trap of the caller's threw while we read the options.
    throw new ConfigError(ErrorCode.INVALID_ARGUMENT, `${where}: options could not be read (${safeMessageOf(error)})`, { cause: error });
  }
}

function checked(options: ReplayOptions, where: string): HistoryReadOptions {
  if (typeof options !== 'object' || (options as unknown) === null) fail(where, "options must be an object such as { from: 'first' }");
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) fail(where, `${key} is not an option of replay$; use ${KNOWN.join(', ')}`);
  }
  const { from, follow = false, prefetch = DEFAULT_PREFETCH } = options;
  if (!isStart(from)) {
    fail(where, `from must be 'first', 'last', a valid Date or an offset (a whole number, 0 or more) (got ${show(from)})`);
  }
  if (typeof follow !== 'boolean') fail(where, `follow must be true or false (got ${show(follow)})`);
  if (!Number.isSafeInteger(prefetch) || prefetch < 1 || prefetch > 65_535) {
    fail(where, `prefetch must be a whole number from 1 to 65535 (got ${show(prefetch)})`);
  }
  return { from: from instanceof Date ? new Date(from.getTime()) : from, follow, prefetch };
}

function isStart(from: unknown): from is ReplayOptions['from'] {
  if (from === 'first' || from === 'last') return true;
  if (from instanceof Date) return !Number.isNaN(from.getTime());
  return Number.isSafeInteger(from) && (from as number) >= 0;
}

function fail(where: string, problem: string): never {
  throw new ConfigError(ErrorCode.INVALID_ARGUMENT, `${where}: ${problem}`);
}
