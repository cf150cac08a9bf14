import { show } from '../errors.js';
import { EVENT_LIMITS } from './event-limits.js';

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
const MAX_TIMESTAMP_MS = Date.parse(EVENT_LIMITS.maxTimestamp);

/** What is wrong with an event's `timestamp`, or undefined when it is an ISO-8601 time AMQP can carry. */
export function timestampProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || !ISO_8601.test(value) || !isCalendarTime(value)) {
    return `timestamp must be an ISO-8601 string such as new Date().toISOString() (got ${show(value)})`;
  }
  if (!isAmqpTime(value)) {
    return `timestamp ${show(value)} is outside ${EVENT_LIMITS.minTimestamp} .. ${EVENT_LIMITS.maxTimestamp} (EVENT_LIMITS.minTimestamp/maxTimestamp): AMQP timestamps are unsigned seconds since 1970`;
  }
  return undefined;
}

// A UTC time has a four-digit year, so only its year can be out of range; an offset may carry it across either end.
function isAmqpTime(value: string): boolean {
  if (value.endsWith('Z')) return Number(value.slice(0, 4)) >= 1970;
  const ms = Date.parse(value);
  return ms >= 0 && ms <= MAX_TIMESTAMP_MS;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The fields of a string ISO_8601 matched are a real date and time (Date.parse
 * would roll 2024-02-30 over to March 1st). Read digit by digit: this runs on
 * every delivery.
 */
function isCalendarTime(value: string): boolean {
  const digit = (i: number): number => value.charCodeAt(i) - 48;
  const year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
  const month = digit(5) * 10 + digit(6);
  const day = digit(8) * 10 + digit(9);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  const hour = digit(11) * 10 + digit(12);
  const minute = digit(14) * 10 + digit(15);
  const second = value[16] === ':' ? digit(17) * 10 + digit(18) : 0;
  const fieldsValid = day >= 1 && day <= days && hour <= 23 && minute <= 59 && second <= 59;
  // UTC (`Z`) is the common case; an offset is rare enough to let Date.parse check it.
  return fieldsValid && (value.endsWith('Z') || !Number.isNaN(Date.parse(value)));
}

let lastMs = Number.NaN;
let lastIso = '';

// toISOString costs more than the rest of an event; at thousands of events per second most share a millisecond.
/** Now, ISO-8601. */
export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
