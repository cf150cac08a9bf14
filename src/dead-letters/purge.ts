import { entryOf } from './dead-letter-entry.js';
import { compileFilter, type DeadLetterFilter } from './dead-letter-filter.js';
import type { DeadLetterBroker } from './dead-letter-queue.js';
import { operationLimit } from './dead-letters-options.js';
import { LetterReader } from './letter-reader.js';
import { refuseUnsafeRead } from './unsafe-read.js';

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
export async function purgeDeadLetters(broker: DeadLetterBroker, queue: string, options: PurgeOptions = {}): Promise<PurgeResult> {
  const limit = operationLimit('purge', options.limit, Infinity);
  const matches = options.filter === undefined ? undefined : compileFilter(options.filter);
  const type = await broker.queueType(queue);
  if (matches !== undefined) refuseUnsafeRead(type, queue, 'A purge with a filter');
  const session = await broker.open(queue);
  let purged = 0;
  let kept = 0;
  try {
    const depth = await session.readyCount();
    const reader = new LetterReader(session, matches === undefined ? Math.min(depth, limit) : depth);
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
