import type { DeadLetterEntry, DeadLetterGroup, DeadLetterStats } from '../index.js';
import { type Output, renderTable } from './output.js';

/** A time as the `dlq` commands print it: UTC, to the second. */
export function timeText(date: Date | undefined): string {
  return date === undefined ? '-' : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** How long ago, for a reader of a table: `40s ago`, `12m ago`, `5h ago`, `3d ago`. */
export function agoText(date: Date | undefined, now = Date.now()): string {
  if (date === undefined) return '-';
  const seconds = Math.max(0, Math.round((now - date.getTime()) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3_600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

/** `850 ms`, `6.2 s`. */
export function durationText(seconds: number): string {
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(1)} s`;
}

/** One dead letter as a `dlq ls --json` record: what failed, why and when, and the event (or why the body is none). */
export function entryRecord(entry: DeadLetterEntry): Record<string, unknown> {
  return {
    position: entry.position,
    messageId: entry.messageId ?? null,
    routingKey: entry.routingKey ?? null,
    source: entry.source,
    error: entry.error,
    patterns: entry.patterns,
    attempts: entry.attempts ?? null,
    replayed: entry.replayed,
    firstFailedAt: entry.firstFailedAt?.toISOString() ?? null,
    lastFailedAt: entry.lastFailedAt?.toISOString() ?? null,
    ...(entry.event === undefined ? { event: null, badBody: entry.badBody } : { event: entry.event }),
  };
}

/** A dead letter in full (`dlq show`): the record, its history, its AMQP properties and headers, and its body. */
export function fullEntryRecord(entry: DeadLetterEntry): Record<string, unknown> {
  const { headers = {}, ...properties } = entry.properties;
  return { ...entryRecord(entry), history: entry.history, properties, headers, body: bodyText(entry) };
}

/** The body as text: the event's JSON, pretty, or the bytes as UTF-8 (base64 when they are not text). */
export function bodyText(entry: DeadLetterEntry): string {
  if (entry.event !== undefined) return JSON.stringify(entry.event, null, 2);
  const text = entry.body.toString('utf8');
  return Buffer.from(text, 'utf8').equals(entry.body) ? text : `base64:${entry.body.toString('base64')}`;
}

/** `dlq ls`: one row per dead letter; on a terminal the error is cut to fit its width (piped, it is whole). */
export function listTable(output: Output, entries: readonly DeadLetterEntry[]): string {
  const keyWidth = Math.max(11, ...entries.map((entry) => (entry.routingKey ?? '').length));
  const errorWidth = output.columns === undefined ? Infinity : Math.max(20, output.columns - keyWidth - 78);
  const rows = entries.map((entry) => [
    String(entry.position),
    entry.messageId ?? output.colors.dim('-'),
    entry.routingKey ?? output.colors.dim('-'),
    agoText(entry.lastFailedAt),
    entry.attempts === undefined ? '-' : String(entry.attempts),
    output.colors.red(cut(entry.error || (entry.badBody ?? ''), errorWidth)),
  ]);
  return renderTable(output, ['#', 'id', 'routing key', 'failed', 'tries', 'error'], rows);
}

/** `dlq show`: the dead letter as labelled lines, its history, headers and body. */
export function entryText(output: Output, entry: DeadLetterEntry): string {
  const { dim, bold, red } = output.colors;
  const label = (name: string): string => dim(name.padEnd(14));
  const { headers = {} } = entry.properties;
  return [
    `${label('id')}${bold(entry.messageId ?? '-')}`,
    `${label('routing key')}${entry.routingKey ?? '-'}`,
    `${label('position')}${entry.position} in the dead-letter queue`,
    `${label('source')}${entry.source}`,
    `${label('error')}${red(entry.error || '-')}`,
    `${label('patterns')}${entry.patterns.join(' ') || '-'}`,
    `${label('attempts')}${entry.attempts ?? '-'} (replayed ${entry.replayed} times before)`,
    `${label('first failed')}${timeText(entry.firstFailedAt)} (${agoText(entry.firstFailedAt)})`,
    `${label('last failed')}${timeText(entry.lastFailedAt)} (${agoText(entry.lastFailedAt)})`,
    ...(entry.badBody === undefined ? [] : [`${label('not an event')}${entry.badBody}`]),
    bold('history'),
    ...(entry.history.length === 0 ? ['  -'] : entry.history.map((line) => `  ${line}`)),
    bold('headers'),
    ...Object.entries(headers).map(([name, value]) => `  ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`),
    bold('body'),
    bodyText(entry),
  ].join('\n');
}

/** `dlq stats --json`: one object, the groups as arrays of `{ key, count, oldest, newest }`. */
export function statsRecord(deadLetterQueue: string, stats: DeadLetterStats): Record<string, unknown> {
  const group = ({ key, count, oldest, newest }: DeadLetterGroup) => ({
    key,
    count,
    oldest: oldest?.toISOString() ?? null,
    newest: newest?.toISOString() ?? null,
  });
  return {
    queue: deadLetterQueue,
    examined: stats.examined,
    total: stats.total,
    oldest: stats.oldest?.toISOString() ?? null,
    newest: stats.newest?.toISOString() ?? null,
    byError: stats.byError.map(group),
    byPattern: stats.byPattern.map(group),
    byRoutingKey: stats.byRoutingKey.map(group),
  };
}

/** `dlq stats`: a heading, then a table per grouping. */
export function statsText(output: Output, deadLetterQueue: string, stats: DeadLetterStats, filtered: boolean): string {
  const { bold, dim } = output.colors;
  const of = filtered ? ` matching, of ${stats.examined}` : '';
  const heading =
    `${bold(deadLetterQueue)}: ${stats.total} dead letters${of}` +
    (stats.total === 0 ? '' : `, failed from ${timeText(stats.oldest)} to ${timeText(stats.newest)}`);
  if (stats.total === 0) return heading;
  const table = (title: string, groups: readonly DeadLetterGroup[]): string =>
    renderTable(
      output,
      ['count', title, 'first', 'last'],
      groups.map(({ key, count, oldest, newest }) => [String(count), key === '' ? dim('(none)') : key, agoText(oldest), agoText(newest)]),
    );
  return [heading, table('error', stats.byError), table('failed pattern', stats.byPattern), table('routing key', stats.byRoutingKey)].join(
    '\n',
  );
}

function cut(text: string, width: number): string {
  const line = text.replace(/\s*\n\s*/g, ' ');
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}
