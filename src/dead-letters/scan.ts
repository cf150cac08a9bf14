import { entryOf, type DeadLetterEntry } from './dead-letter-entry.js';
import { openReader } from './open-reader.js';
import { type ReadSource, readStrategyOf } from './read-strategy.js';

/**
 * Reads a dead-letter queue from its head, in order, holding every message
 * it reads (unacked), and gives them all back: nothing is removed or
 * reordered. A classic queue is read as far as `count(depth)` says (`depth`:
 * its ready messages when it starts) and takes each message back where it
 * was, uncounted; a quorum queue is read whole, whatever `count` says, and
 * counts each message given back as a delivery (see read-strategy.ts).
 * `visit` sees each entry and returns whether to go on.
 *
 * @throws {ConfigError} `UNSAFE_READ` where reading cannot be made safe.
 */
export async function scanDeadLetters(
  source: ReadSource,
  operation: string,
  count: (depth: number) => number,
  visit: (entry: DeadLetterEntry) => boolean,
): Promise<void> {
  const strategy = await readStrategyOf(source, operation);
  const session = await source.broker.open(source.queue);
  try {
    const { reader } = await openReader(session, strategy, { queue: source.queue, operation }, count);
    for (let position = 0; ; position++) {
      const letter = await reader.next();
      if (letter === undefined || !visit(entryOf(letter, position))) break;
    }
    await reader.stop();
  } finally {
    await session.release();
  }
}
