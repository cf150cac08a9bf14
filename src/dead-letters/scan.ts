import { type DeadLetterEntry, entryOf } from './dead-letter-entry.js';
import type { DeadLetterBroker } from './dead-letter-queue.js';
import { LetterReader } from './letter-reader.js';
import { refuseUnsafeRead } from './unsafe-read.js';

/**
 * Reads a dead-letter queue from its head, in order, holding every message
 * it reads (unacked), and gives them all back where they were: nothing is
 * removed, reordered, or (on a classic queue: others are refused) counted.
 *
 * `count(depth)` says how many to read at most (`depth`: the ready messages
 * when it starts); `visit` sees each entry and returns whether to go on.
 */
export async function scanDeadLetters(
  broker: DeadLetterBroker,
  queue: string,
  operation: string,
  count: (depth: number) => number,
  visit: (entry: DeadLetterEntry) => boolean,
): Promise<void> {
  refuseUnsafeRead(await broker.queueType(queue), queue, operation);
  const session = await broker.open(queue);
  try {
    const reader = new LetterReader(session, count(await session.readyCount()));
    for (let position = 0; ; position++) {
      const letter = await reader.next();
      if (letter === undefined || !visit(entryOf(letter, position))) break;
    }
    await reader.stop();
  } finally {
    await session.release();
  }
}
