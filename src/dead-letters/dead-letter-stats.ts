import type { DeadLetterEntry } from './dead-letter-entry.js';
import { compileFilter, type DeadLetterFilter } from './dead-letter-filter.js';
import type { ReadSource } from './read-strategy.js';
import { scanDeadLetters } from './scan.js';

/** Dead letters sharing one error, one failed pattern or one routing key. */
export interface DeadLetterGroup {
  /** The error text, the pattern or the routing key; `''` where the dead letters have none (a bad message has no failed pattern). */
  readonly key: string;
  /** Dead letters in the group. */
  readonly count: number;
  /** The earliest and latest last failure in the group (`undefined` when none recorded a time). */
  readonly oldest: Date | undefined;
  /** See `oldest`. */
  readonly newest: Date | undefined;
}

/**
 * What a dead-letter queue holds, in counts: the answer to "what failed and
 * why". Groups are sorted by count, largest first (then by key).
 */
export interface DeadLetterStats {
  /** Dead letters read: the queue's depth when `stats` started. */
  readonly examined: number;
  /** Those matching the filter (all of them without one). */
  readonly total: number;
  /** The earliest and latest last failure among them. */
  readonly oldest: Date | undefined;
  /** See `oldest`. */
  readonly newest: Date | undefined;
  /** By error text ({@link DeadLetterEntry.error}), as written: the same failure with different details is two groups. */
  readonly byError: readonly DeadLetterGroup[];
  /** By failed handler pattern: a dead letter whose two handlers failed counts in both groups. */
  readonly byPattern: readonly DeadLetterGroup[];
  /** By original routing key. */
  readonly byRoutingKey: readonly DeadLetterGroup[];
}

interface Tally {
  count: number;
  oldest: number;
  newest: number;
}

/** Counts entries as they are read, keeping no entry. */
export class StatsTally {
  private examined = 0;
  private readonly all: Tally = fresh();
  private readonly byError = new Map<string, Tally>();
  private readonly byPattern = new Map<string, Tally>();
  private readonly byRoutingKey = new Map<string, Tally>();

  /** One dead letter read; counted when it `matches`. */
  add(entry: DeadLetterEntry, matches: boolean): void {
    this.examined++;
    if (!matches) return;
    const time = entry.lastFailedAt?.getTime();
    count(this.all, time);
    count(tallyOf(this.byError, entry.error), time);
    for (const pattern of entry.patterns.length > 0 ? entry.patterns : ['']) count(tallyOf(this.byPattern, pattern), time);
    count(tallyOf(this.byRoutingKey, entry.routingKey ?? ''), time);
  }

  result(): DeadLetterStats {
    return {
      examined: this.examined,
      total: this.all.count,
      ...timesOf(this.all),
      byError: groupsOf(this.byError),
      byPattern: groupsOf(this.byPattern),
      byRoutingKey: groupsOf(this.byRoutingKey),
    };
  }
}

function fresh(): Tally {
  return { count: 0, oldest: Infinity, newest: -Infinity };
}

function tallyOf(groups: Map<string, Tally>, key: string): Tally {
  let tally = groups.get(key);
  if (tally === undefined) groups.set(key, (tally = fresh()));
  return tally;
}

function count(tally: Tally, time: number | undefined): void {
  tally.count++;
  if (time === undefined) return;
  tally.oldest = Math.min(tally.oldest, time);
  tally.newest = Math.max(tally.newest, time);
}

function timesOf(tally: Tally): { oldest: Date | undefined; newest: Date | undefined } {
  return Number.isFinite(tally.oldest)
    ? { oldest: new Date(tally.oldest), newest: new Date(tally.newest) }
    : { oldest: undefined, newest: undefined };
}

function groupsOf(groups: Map<string, Tally>): DeadLetterGroup[] {
  return [...groups]
    .map(([key, tally]) => ({ key, count: tally.count, ...timesOf(tally) }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Options of {@link DeadLetters.stats}. */
export interface StatsOptions {
  /** Count only these. @default all */
  readonly filter?: DeadLetterFilter;
}

/** Reads the whole queue (leaving it as it was) and counts its dead letters. */
export async function statsOfDeadLetters(source: ReadSource, options: StatsOptions = {}): Promise<DeadLetterStats> {
  const matches = compileFilter(options.filter);
  const tally = new StatsTally();
  await scanDeadLetters(
    source,
    'stats',
    (depth) => depth,
    (entry) => {
      tally.add(entry, matches(entry));
      return true;
    },
  );
  return tally.result();
}
