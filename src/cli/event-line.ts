import type { Event } from '../index.js';
import type { Colors } from './output.js';

/** What `tail` shows of a message that is not an rx-pubsub event. */
export interface ForeignMessage {
  readonly routingKey: string;
  readonly body: Buffer;
  /** Why it is not an event (the reason the bus would dead-letter it with). */
  readonly reason: string;
  /** When it arrived. */
  readonly at: Date;
}

/** A column of a line: its text and its colour. */
type Part = readonly [text: string, style: (text: string) => string];

/**
 * One event as `tail` prints it: local time (hh:mm:ss.mmm), routing key, id,
 * the version when not 1, and the data as compact JSON. `columns` (a
 * terminal's width) cuts the data to fit one line; without it (a pipe) the
 * line is whole.
 */
export function eventLine(event: Event, colors: Colors, columns?: number): string {
  const parts: Part[] = [
    [clockOf(new Date(event.timestamp)), colors.dim],
    [`${event.domain}.${event.action}`, (text) => colors.bold(colors.cyan(text))],
    [event.id, colors.yellow],
  ];
  if (event.version !== 1) parts.push([`v${event.version}`, colors.dim]);
  return joined(parts, JSON.stringify(event.data), columns);
}

/** A message that is not an event: flagged with the reason, its body shown as text. */
export function foreignLine(message: ForeignMessage, colors: Colors, columns?: number): string {
  const parts: Part[] = [
    [clockOf(message.at), colors.dim],
    [message.routingKey, colors.cyan],
    [`not an event (${message.reason})`, colors.red],
  ];
  return joined(parts, message.body.toString('utf8').replace(/\s+/g, ' '), columns);
}

function joined(parts: readonly Part[], rest: string, columns: number | undefined): string {
  const head = parts.map(([text]) => text).join(' ');
  const room = columns === undefined ? Infinity : Math.max(columns - head.length - 1, 20);
  const shown = rest.length > room ? `${rest.slice(0, room - 1)}…` : rest;
  return `${parts.map(([text, style]) => style(text)).join(' ')} ${shown}`;
}

/** Local wall-clock time with milliseconds, or the text as it came when it is not a time. */
function clockOf(time: Date): string {
  if (Number.isNaN(time.getTime())) return 'xx:xx:xx.xxx';
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.${pad(time.getMilliseconds(), 3)}`;
}
