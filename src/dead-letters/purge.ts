import { entryOf } from './dead-letter-entry.js';
import { compileFilter, type DeadLetterFilter } from './dead-letter-filter.js';
import { operationLimit } from './dead-letters-options.js';
import { openReader } from './open-reader.js';
import { type ReadSource, removalStrategy } from './read-strategy.js';

/** Options of {@link DeadLetters.purge}. */
export interface PurgeOptions {
  /** Which dead letters to remove; the others stay where they are, in order. @default all */
  readonly filter?: DeadLetterFilter;
  /** Remove at most this many: the first (matching) ones, in queue order. @default all */
  readonly limit?: number;
}

/** What a purge did. */
export interface PurgeResult {
  /** Removed from the dead-letter queue. */
  readonly purged: number;
  /** Read but left where they were: not matching the filter. */
  readonly kept: number;
}

/**
 * Removes the dead letters that match, among those in the queue when it
 * starts (one that arrives meanwhile is never removed unseen), and only
 * those: the others are held while it reads, then given back in place.
 * Resolves once the broker applied every removal.
 */
export async function purgeDeadLetters(source: ReadSource, options: PurgeOptions = {}): Promise<PurgeResult> {
  const limit = operationLimit('purge', options.limit, Infinity);
  const matches = options.filter === undefined ? undefined : compileFilter(options.filter);
  const operation = 'A purge with a filter';
  const strategy = await removalStrategy(source, matches !== undefined, operation);
  const session = await source.broker.open(source.queue);
  let purged = 0;
  let kept = 0;
  try {
    const count = (depth: number): number => (matches === undefined ? Math.min(depth, limit) : depth);
    const { reader } = await openReader(session, strategy, { queue: source.queue, operation }, count);
    const acks: Promise<void>[] = [];
    for (let position = 0; purged < limit; position++) {
      const letter = await reader.next();
      if (letter === undefined) break;
      if (matches === undefined || matches(entryOf(letter, position))) {
        acks.push(reader.ack(letter));
        purged++;
      } else kept++;
    }
    await reader.stop();
    await Promise.all(acks);
    await session.acksProcessed();
  } finally {
    await session.release();
  }
  return { purged, kept };
}
