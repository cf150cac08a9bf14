import type { Colors } from './output.js';

/** A queue `status` looks at, and what it is to the service queue. */
export interface QueueProbe {
  readonly name: string;
  /** `queue`, `dead letters` or `retry <ms> ms`. */
  readonly role: string;
}

/** What one passive declare said about a queue. */
export interface QueueSample extends QueueProbe {
  /** False when the broker has no such queue (a delay queue is declared on its first retry). */
  readonly exists: boolean;
  /** Ready messages (the passive declare's count: unacknowledged ones are not in it). */
  readonly messages: number | undefined;
  readonly consumers: number | undefined;
  /** When it was taken, ms since the epoch. */
  readonly at: number;
}

/** A sample with the change of its depth per second since the previous one. */
export interface QueueStatus extends QueueSample {
  /** Messages per second the depth grew (negative: shrank); undefined for a first sample or an absent queue. */
  readonly ratePerSecond: number | undefined;
}

/** The service queue, its dead-letter queue, and a delay queue per retry delay, in that order. */
export function queuesOf(queue: string, retryDelays: readonly number[]): QueueProbe[] {
  return [
    { name: queue, role: 'queue' },
    { name: `${queue}.dlq`, role: 'dead letters' },
    ...[...new Set(retryDelays)].sort((a, b) => a - b).map((ms) => ({ name: `${queue}.retry.${ms}`, role: `retry ${ms} ms` })),
  ];
}

/**
 * Rates from two successive samples of the same queues: a passive declare
 * gives only the depth, so a rate is the net change of depth over time
 * (publishes minus deliveries), not the publish rate alone.
 */
export function withRates(previous: readonly QueueSample[] | undefined, next: readonly QueueSample[]): QueueStatus[] {
  return next.map((sample) => {
    const before = previous?.find((old) => old.name === sample.name);
    const seconds = before === undefined ? 0 : (sample.at - before.at) / 1000;
    const rate =
      before?.messages === undefined || sample.messages === undefined || seconds <= 0
        ? undefined
        : Math.round(((sample.messages - before.messages) / seconds) * 10) / 10;
    return { ...sample, ratePerSecond: rate };
  });
}

/** The table's header. */
export const STATUS_HEAD = ['queue', 'role', 'messages', 'consumers', 'Δ msg/s'] as const;

/** One table row per queue: an absent queue says so; a queue whose depth grows shows its rate in yellow. */
export function statusRows(statuses: readonly QueueStatus[], colors: Colors): string[][] {
  return statuses.map((status) => {
    if (!status.exists) return [status.name, status.role, colors.dim('absent'), colors.dim('-'), colors.dim('-')];
    const rate = status.ratePerSecond;
    const shownRate = rate === undefined ? '-' : rate > 0 ? colors.yellow(`+${rate}`) : String(rate);
    return [status.name, status.role, String(status.messages), String(status.consumers), shownRate];
  });
}
