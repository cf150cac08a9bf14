import type { DeadLetters, DeadLetterStats } from '../index.js';
import { statsRecord, statsText } from './dead-letter-output.js';
import type { DlqRun } from './dlq-options.js';
import type { Output } from './output.js';

/** What a replay or purge would touch: the stats of the matching dead letters, and how many of them (`--limit`). */
export interface Touched {
  readonly stats: DeadLetterStats;
  readonly count: number;
}

/** Counts what the run's filter and limit take, reading the queue as `stats` does (nothing changes). */
export async function touchedBy(dlq: DeadLetters, run: DlqRun): Promise<Touched> {
  const stats = await dlq.stats(run.filter === undefined ? {} : { filter: run.filter });
  return { stats, count: Math.min(stats.total, run.limit ?? Infinity) };
}

/** `--dry-run`: what the operation would do, and the stats of what it would touch; nothing was changed. */
export function showDryRun(output: Output, operation: string, deadLetterQueue: string, touched: Touched, where = ''): void {
  if (output.json) {
    output.record({
      dryRun: true,
      operation,
      count: touched.count,
      ...(where ? { to: where } : {}),
      stats: statsRecord(deadLetterQueue, touched.stats),
    });
    return;
  }
  output.line(
    `${output.colors.yellow('dry run')}: would ${operation} ${touched.count} dead letters of ${deadLetterQueue}${where ? ` to ${where}` : ''}; nothing changed`,
  );
  if (touched.count > 0) output.line(statsText(output, deadLetterQueue, touched.stats, true));
}
