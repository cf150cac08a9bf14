import type { DeadLetters, DeadLetterStats } from '../index.js';
import type { CliContext } from './cli-context.js';
import { confirm } from './confirmation.js';
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

/** How a replay or purge goes ahead: `--dry-run`, asking first, or at once (`--yes`). */
export interface Consent {
  readonly dryRun: boolean;
  readonly ask: boolean;
  /** `replay`, `purge`. */
  readonly operation: string;
  /** Where a replay sends its copies (`queue billing`); none for a purge. */
  readonly where?: string;
  /** The question for `count` dead letters. */
  question(count: number): string;
}

/**
 * Whether the operation may run: with `--dry-run` it shows what would be
 * touched and says no; when it must ask, it counts and asks (a "no" throws);
 * otherwise yes at once, without reading anything.
 */
export async function goAhead(dlq: DeadLetters, run: DlqRun, output: Output, cli: CliContext, consent: Consent): Promise<boolean> {
  if (!consent.dryRun && !consent.ask) return true;
  const touched = await touchedBy(dlq, run);
  if (consent.dryRun) {
    showDryRun(output, consent.operation, dlq.deadLetterQueue, touched, consent.where);
    return false;
  }
  await confirm(cli, consent.question(touched.count));
  return true;
}
