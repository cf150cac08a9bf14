import { ConfigError, ErrorCode, messageOf, show } from '../errors.js';
import { compilePattern } from '../routing/pattern.js';
import type { DeadLetterEntry } from './dead-letter-entry.js';

/**
 * Which dead letters an operation takes: every condition given must hold
 * (none given: all of them).
 *
 * @example
 * // The payment failures of order events since this morning:
 * const filter = { routingKey: 'order.*', error: /payment/i, since: '2026-01-05T08:00:00Z' };
 */
export interface DeadLetterFilter {
  /** A glob over the original routing key, as `handle` patterns: `order.*`, `*.created`, `order.{created,paid}`. */
  readonly routingKey?: string;
  /** Tested against the error text ({@link DeadLetterEntry.error}); a string is a regular expression's source. */
  readonly error?: RegExp | string;
  /** One of the failed handlers' patterns, exactly as registered (`'order.*'`). */
  readonly pattern?: string;
  /** These message ids (event ids) only. */
  readonly messageId?: string | readonly string[];
  /** Dead-lettered (last failure) at or after this time: a Date, an ISO-8601 string, or epoch milliseconds. A dead letter with no recorded time does not match. */
  readonly since?: Date | string | number;
  /** Dead-lettered (last failure) before this time. */
  readonly until?: Date | string | number;
}

const KEYS = ['routingKey', 'error', 'pattern', 'messageId', 'since', 'until'];

/**
 * The filter as a predicate over entries.
 * @throws {ConfigError} `INVALID_ARGUMENT` for an unknown condition, a bad
 *   regular expression or time; `INVALID_PATTERN` for a bad glob.
 */
export function compileFilter(filter: DeadLetterFilter | undefined): (entry: DeadLetterEntry) => boolean {
  if (filter === undefined) return () => true;
  if (typeof filter !== 'object' || (filter as unknown) === null) invalid('filter', 'must be an object');
  for (const key of Object.keys(filter)) {
    if (!KEYS.includes(key)) invalid(`filter.${key}`, `is not a condition; use ${KEYS.join(', ')}`);
  }
  const tests: ((entry: DeadLetterEntry) => boolean)[] = [];
  const { routingKey, error, pattern, messageId, since, until } = filter;
  if (routingKey !== undefined) {
    const glob = compilePattern(routingKey);
    tests.push((entry) => entry.routingKey !== undefined && glob.test(entry.routingKey));
  }
  if (error !== undefined) {
    const regexp = regexpOf(error);
    tests.push((entry) => regexp.test(entry.error));
  }
  if (pattern !== undefined) {
    if (typeof pattern !== 'string' || pattern === '') invalid('filter.pattern', 'must be a non-empty string');
    tests.push((entry) => entry.patterns.includes(pattern));
  }
  if (messageId !== undefined) {
    const ids = new Set(typeof messageId === 'string' ? [messageId] : messageId);
    if ([...ids].some((id) => typeof id !== 'string')) invalid('filter.messageId', 'must be a string or an array of strings');
    tests.push((entry) => entry.messageId !== undefined && ids.has(entry.messageId));
  }
  if (since !== undefined) {
    const from = timeOf('filter.since', since);
    tests.push((entry) => entry.lastFailedAt !== undefined && entry.lastFailedAt.getTime() >= from);
  }
  if (until !== undefined) {
    const to = timeOf('filter.until', until);
    tests.push((entry) => entry.lastFailedAt !== undefined && entry.lastFailedAt.getTime() < to);
  }
  return (entry) => tests.every((test) => test(entry));
}

// Without the g and y flags: those make `test` remember where it stopped, so every other entry would miss.
function regexpOf(value: unknown): RegExp {
  if (value instanceof RegExp) return new RegExp(value.source, value.flags.replace(/[gy]/g, ''));
  if (typeof value !== 'string') invalid('filter.error', 'must be a RegExp or a string');
  try {
    return new RegExp(value);
  } catch (error) {
    return invalid('filter.error', `is not a regular expression (${messageOf(error)})`);
  }
}

function timeOf(name: string, value: unknown): number {
  const time = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : value;
  if (typeof time !== 'number' || !Number.isFinite(time))
    invalid(name, `must be a Date, an ISO-8601 string or epoch milliseconds (got ${show(value)})`);
  return time;
}

function invalid(name: string, problem: string): never {
  throw new ConfigError(ErrorCode.INVALID_ARGUMENT, `Dead-letter ${name} ${problem}`);
}
