import type { DeadLetterSession } from './dead-letter-queue.js';
import { type HeldLetterReader, LetterReader } from './letter-reader.js';
import type { ReadStrategy } from './read-strategy.js';
import { WholeQueueReader } from './whole-queue-reader.js';

/** A reader, and the queue's ready messages when it started. */
export interface OpenedReader {
  readonly reader: HeldLetterReader;
  readonly depth: number;
}

/**
 * The reader of `strategy` on the session's queue: in place, the first
 * `count(depth)` messages ({@link LetterReader}); or the whole queue
 * ({@link WholeQueueReader}), whatever `count` says.
 * @throws {ConfigError} `UNSAFE_READ` when a whole-queue read cannot start.
 */
export async function openReader(
  session: DeadLetterSession,
  strategy: ReadStrategy,
  where: { readonly queue: string; readonly operation: string },
  count: (depth: number) => number,
): Promise<OpenedReader> {
  if (strategy === 'whole-queue') {
    const reader = await WholeQueueReader.open(session, where.queue, where.operation);
    return { reader, depth: reader.depth };
  }
  const depth = await session.readyCount();
  return { reader: new LetterReader(session, count(depth)), depth };
}
