import type { DeadLetterEntry } from './dead-letter-entry.js';
import { compileFilter, type DeadLetterFilter } from './dead-letter-filter.js';
import { operationLimit } from './dead-letters-options.js';
import type { ReadSource } from './read-strategy.js';
import { scanDeadLetters } from './scan.js';

/** Options of {@link DeadLetters.peek}. */
export interface PeekOptions {
  /** Which dead letters to return. @default all */
  readonly filter?: DeadLetterFilter;
  /**
   * Return at most this many: the first (matching) ones, head first. It
   * limits what is returned; on a quorum queue the whole queue is read
   * anyway (so that it keeps its order). @default 100
   */
  readonly limit?: number;
}

/** The first dead letters (that match), head first, left in the queue as they were. */
export async function peekDeadLetters(source: ReadSource, options: PeekOptions = {}): Promise<DeadLetterEntry[]> {
  const limit = operationLimit('peek', options.limit, 100);
  const matches = compileFilter(options.filter);
  const entries: DeadLetterEntry[] = [];
  await scanDeadLetters(
    source,
    'peek',
    // Without a filter the first `limit` are the answer: no more is read (in place).
    (depth) => (options.filter === undefined ? Math.min(depth, limit) : depth),
    (entry) => {
      if (matches(entry)) entries.push(entry);
      return entries.length < limit;
    },
  );
  return entries;
}
