import type { DeadLetterEntry } from './dead-letter-entry.js';
import { compileFilter, type DeadLetterFilter } from './dead-letter-filter.js';
import type { DeadLetterBroker } from './dead-letter-queue.js';
import { operationLimit } from './dead-letters-options.js';
import { scanDeadLetters } from './scan.js';

/** Options of {@link DeadLetters.peek}. */
export interface PeekOptions {
  /** Which dead letters to return. @default all */
  readonly filter?: DeadLetterFilter;
  /** Return at most this many: the first (matching) ones, head first. @default 100 */
  readonly limit?: number;
}

/** The first dead letters (that match), head first, left in the queue as they were. */
export async function peekDeadLetters(broker: DeadLetterBroker, queue: string, options: PeekOptions = {}): Promise<DeadLetterEntry[]> {
  const limit = operationLimit('peek', options.limit, 100);
  const matches = compileFilter(options.filter);
  const entries: DeadLetterEntry[] = [];
  await scanDeadLetters(
    broker,
    queue,
    'peek',
    // Without a filter the first `limit` are the answer: no more is read.
    (depth) => (options.filter === undefined ? Math.min(depth, limit) : depth),
    (entry) => {
      if (matches(entry)) entries.push(entry);
      return entries.length < limit;
    },
  );
  return entries;
}
