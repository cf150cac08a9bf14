/** Figures from what the publisher and the services recorded. */
import type { QueueInfo } from './faults.js';
import { logText } from './log-lines.js';
import type { PartyTimeline } from './recovery.js';
import { type ChaosReport, PUBLISHER, type ServiceReport } from './report.js';
import type { ServiceHandle } from './service-handle.js';
import type { PublishRecord } from './steady-publisher.js';

/** Whether `handled` covers every confirmed event. */
export function everyConfirmedHandled(confirmedAt: Float64Array, handled: Uint32Array): boolean {
  for (let seq = 0; seq < confirmedAt.length; seq++) {
    if (!Number.isNaN(confirmedAt[seq]) && handled[seq] === 0) return false;
  }
  return true;
}

export function countConfirmed(confirmedAt: Float64Array): number {
  return confirmedAt.reduce((n, t) => n + (Number.isNaN(t) ? 0 : 1), 0);
}

/** The publisher and each service, as the recovery analysis sees them. */
export function timelines(
  record: PublishRecord,
  publisherStates: PartyTimeline['states'],
  services: readonly ServiceHandle[],
): PartyTimeline[] {
  const { publishedAt, confirmedAt } = record;
  const publishedSince = (at: number): boolean => publishedAt.some((t) => t >= at);
  return [
    {
      name: PUBLISHER,
      states: publisherStates,
      events: [...confirmedAt].filter((t) => !Number.isNaN(t)).sort((a, b) => a - b),
      // Something was published after it, or was still unconfirmed then.
      hadWorkAfter: (at) => publishedAt.some((t, seq) => t >= at || !((confirmedAt[seq] as number) < at)),
    },
    ...services.map((s) => ({
      name: s.name,
      states: s.states,
      events: [...s.handledTimes].sort((a, b) => a - b),
      // Something was published after it, or some confirmed event never reached this service.
      hadWorkAfter: (at: number) => publishedSince(at) || !everyConfirmedHandled(confirmedAt, s.handled),
    })),
  ];
}

/** One service's figures; `window` is the publishing period, for the longest pause. */
export function serviceReport(
  s: ServiceHandle,
  record: PublishRecord,
  others: readonly ServiceHandle[],
  queues: Map<string, QueueInfo>,
  window: { from: number; to: number },
): ServiceReport {
  const { publishedAt, confirmedAt } = record;
  let lost = 0;
  let unconfirmedHandled = 0;
  let total = 0;
  const lostSample: ServiceReport['lostSample'][number][] = [];
  for (let seq = 0; seq < s.handled.length; seq++) {
    const times = s.handled[seq] as number;
    total += times;
    const confirmed = !Number.isNaN(confirmedAt[seq]);
    if (!confirmed && times > 0) unconfirmedHandled++;
    if (confirmed && times === 0 && lost++ < 10) {
      const handledBy = others.filter((o) => o !== s && (o.handled[seq] as number) > 0).map((o) => o.name);
      lostSample.push({ seq, publishedAt: publishedAt[seq] as number, confirmedAt: confirmedAt[seq] as number, handledBy });
    }
  }
  return {
    name: s.name,
    queue: s.config.queue,
    handledUnique: s.uniqueHandled,
    handledTotal: total,
    duplicates: total - s.uniqueHandled,
    lost,
    lostSample,
    unconfirmedHandled,
    foreign: s.foreign,
    deadLettered: queues.get(`${s.config.queue}.dlq`)?.messages ?? 0,
    leftInQueue: queues.get(s.config.queue)?.messages ?? 0,
    consumers: queues.get(s.config.queue)?.consumers ?? 0,
    longestPauseMs: longestPause(
      [...s.handledTimes].sort((a, b) => a - b),
      window.from,
      window.to,
    ),
    states: s.states,
    logs: s.logs.map((l) => logText(s.name, l)),
    failures: s.failures,
    stats: s.stats,
  };
}

/** How long publishes waited for their confirm; the slowest ones with their times. */
export function confirmLatency({ publishedAt, confirmedAt }: PublishRecord): ChaosReport['confirmLatency'] {
  const waits: { seq: number; ms: number }[] = [];
  for (let seq = 0; seq < confirmedAt.length; seq++) {
    const ms = (confirmedAt[seq] as number) - (publishedAt[seq] as number);
    if (!Number.isNaN(ms)) waits.push({ seq, ms });
  }
  waits.sort((a, b) => a.ms - b.ms);
  const at = (q: number): number => waits[Math.min(waits.length - 1, Math.floor(q * waits.length))]?.ms ?? 0;
  const slowest = waits
    .slice(-5)
    .reverse()
    .map(({ seq, ms }) => ({ seq, publishedAt: publishedAt[seq] as number, waitedMs: ms }));
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1), slowest };
}

/** The longest stretch without a handled event between `from` and `to`. */
function longestPause(sorted: readonly number[], from: number, to: number): number {
  let last = from;
  let longest = 0;
  for (const t of sorted) {
    if (t > to) break;
    if (t < from) continue;
    longest = Math.max(longest, t - last);
    last = t;
  }
  return Math.max(longest, to - last);
}
