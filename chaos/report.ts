/** What a chaos run found, and how it prints. */
import type { BusStats } from '../src/index.js';
import type { Fault } from './faults.js';
import type { ResolvedChaosOptions } from './options.js';
import type { StateChange } from './protocol.js';
import { type FaultRecovery, type Recovery, summarize } from './recovery.js';

type FaultKind = Fault['kind'];

export const PUBLISHER = 'publisher';
export const SERVICE_NAMES = ['svc-a', 'svc-b'] as const;

export interface ServiceReport {
  readonly name: string;
  readonly queue: string;
  /** Distinct confirmed-or-not events its handler finished. */
  readonly handledUnique: number;
  readonly handledTotal: number;
  /** Handler runs beyond the first, per event, summed. */
  readonly duplicates: number;
  /** Confirmed by the broker, never handled by this service. */
  readonly lost: number;
  readonly lostSample: readonly { seq: number; publishedAt: number; confirmedAt: number; handledBy: readonly string[] }[];
  /** Handled although its publish was rejected (timed out waiting for a confirm, for instance). */
  readonly unconfirmedHandled: number;
  /** Handled ids that were not this run's. */
  readonly foreign: number;
  /** Messages in Q.dlq at the end. */
  readonly deadLettered: number;
  /** Messages still in Q at the end. */
  readonly leftInQueue: number;
  /** Consumers on Q at the end, before closing: 1 unless a consumer leaked or went missing. */
  readonly consumers: number;
  /** The longest time without a handled event while events were being published. */
  readonly longestPauseMs: number;
  readonly states: readonly StateChange[];
  readonly logs: readonly string[];
  readonly failures: readonly string[];
  readonly stats: BusStats | undefined;
}

export interface ChaosReport {
  /** Prefix of every name the run used (queues, exchange, connections, event ids). */
  readonly prefix: string;
  readonly mode: 'child-processes' | 'in-process';
  readonly options: Omit<ResolvedChaosOptions, 'log' | 'signal'>;
  readonly durationMs: number;
  readonly publishMs: number;
  /** Both services handled every confirmed event before the drain deadline. */
  readonly drained: boolean;
  readonly published: number;
  readonly confirmed: number;
  readonly rejected: number;
  /** Neither confirmed nor rejected long after publishTimeoutMs: a publish promise that never settled (a bug). */
  readonly unsettled: number;
  readonly rejections: Readonly<Record<string, number>>;
  readonly rejectionSamples: readonly string[];
  /** From publish() to its confirm. */
  readonly confirmLatency: {
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
    readonly slowest: readonly { seq: number; publishedAt: number; waitedMs: number }[];
  };
  readonly publisherStates: readonly StateChange[];
  readonly publisherLogs: readonly string[];
  readonly services: readonly ServiceReport[];
  readonly faults: readonly FaultRecovery[];
  /** Open channels per connection of the run, before closing (connection name → channels). */
  readonly channels: Readonly<Record<string, number>>;
  /** When publishing began: time zero of the fault table. */
  readonly startedAt: number;
}

/**
 * What makes the run fail: a confirmed event some service never handled (lost > 0), or a publish that was
 * neither confirmed nor rejected (its promise outlived publishTimeoutMs). Empty when the run passed.
 */
export function problems(report: ChaosReport): string[] {
  const found = report.services.filter((s) => s.lost > 0).map((s) => `${s.name} lost ${s.lost} confirmed events`);
  if (report.unsettled > 0) found.push(`${report.unsettled} publishes never settled`);
  return found;
}

export function formatReport(report: ChaosReport): string {
  const parties = [PUBLISHER, ...report.services.map((s) => s.name)];
  const count = (kind: FaultKind): number => report.faults.filter((f) => f.fault.kind === kind).length;
  const restarts = report.options.cluster
    ? `${count('node-stop')} node stop(s) on a ${report.options.urls.length}-node cluster`
    : `${count('restart')} broker restart(s)`;
  const out: string[] = [];
  out.push(
    `chaos ${report.prefix}: ${report.published} events at ${report.options.ratePerSecond}/s to ${report.services.length} services ` +
      `(${report.mode}), ${count('cut')} connection cuts (${report.options.cutScope}), ${restarts}; ` +
      `publishing (until the last confirm) ${seconds(report.publishMs)}, whole run ${seconds(report.durationMs)}`,
    '',
  );
  const svc = (f: (s: ServiceReport) => string): string[] => ['', ...report.services.map(f)];
  const rows: string[][] = [
    ['', ...parties],
    ['published', String(report.published), ...report.services.map(() => '')],
    ['confirmed', String(report.confirmed), ...report.services.map(() => '')],
    ['rejected', String(report.rejected), ...report.services.map(() => '')],
    ...(report.unsettled > 0
      ? [['NEVER SETTLED (publish promise hangs)', String(report.unsettled), ...report.services.map(() => '')]]
      : []),
    ['confirm wait p50 / p99 / max', latencyCell(report.confirmLatency), ...report.services.map(() => '')],
    ['handled (unique ids)', ...svc((s) => String(s.handledUnique))],
    ['lost (confirmed, never handled)', ...svc((s) => String(s.lost))],
    ['duplicates', ...svc((s) => String(s.duplicates))],
    ['dead-lettered (Q.dlq depth)', ...svc((s) => String(s.deadLettered))],
    ['left in queue', ...svc((s) => String(s.leftInQueue))],
    ['longest pause in handling', ...svc((s) => seconds(s.longestPauseMs))],
    ['consumers on Q at the end', ...svc((s) => String(s.consumers))],
    ['connections / channels at the end', ...parties.map((p) => channelCell(report, p))],
  ];
  const disconnects = (states: readonly StateChange[]): string => String(states.filter((c) => c.status === 'disconnected').length);
  rows.push(['disconnects seen on state$', disconnects(report.publisherStates), ...report.services.map((s) => disconnects(s.states))]);
  for (const kind of ['cut', 'restart', 'node-stop'] as const) {
    if (!report.faults.some((f) => f.fault.kind === kind)) continue;
    rows.push([`recovery after ${kind}: median / max`, ...parties.map((p) => summaryCell(report.faults, p, kind))]);
  }
  rows.push(['never recovered (stuck)', ...parties.map((p) => String(report.faults.filter((f) => f.parties[p]?.stuck).length))]);
  out.push(...table(rows), '');
  out.push(
    'recovery = from the fault as each party saw it (its state$ said "disconnected"; for the restart this includes the time',
    'the broker was down) to its next confirm (publisher) or handled event (service) on the new connections; in brackets:',
    'to state$ "connected" again. "-" = nothing left to do, ">next" = not before its next disconnect, "still down" = no new',
    'disconnect (down from the fault before), "not on it" = a node-stop of a node it was not connected to, NEVER = no',
    'confirm / handled event ever again although there was work.',
    '',
  );
  const faultRows: string[][] = [['#', 'fault', 'at', 'took', ...parties]];
  for (const [i, { fault, parties: recovered }] of report.faults.entries()) {
    faultRows.push([
      String(i + 1),
      fault.node === undefined ? fault.kind : `${fault.kind} ${fault.node}`,
      seconds(fault.startedAt - report.startedAt),
      seconds(fault.endedAt - fault.startedAt),
      ...parties.map((p) => recoveryCell(recovered[p], fault.kind)),
    ]);
  }
  out.push(...table(faultRows), '');
  if (report.rejected > 0) out.push(`rejections: ${JSON.stringify(report.rejections)}; e.g. ${report.rejectionSamples[0] ?? ''}`, '');
  for (const s of report.services) out.push(...serviceDetails(report, s));
  const failed = problems(report);
  out.push(
    failed.length === 0
      ? `PASS: lost = 0; ${report.drained ? 'every confirmed event was handled by both services' : 'but the drain deadline passed'}`
      : `FAIL: ${failed.join(', ')}`,
  );
  return out.join('\n');
}

/** Details only where something is wrong: lost ids, stuck recoveries, failures, unconfirmed handling. */
function serviceDetails(report: ChaosReport, s: ServiceReport): string[] {
  const out: string[] = [];
  const stuck = report.faults.filter((f) => f.parties[s.name]?.stuck);
  if (s.failures.length > 0) out.push(`${s.name} failures: ${s.failures.join('; ')}`);
  if (s.foreign > 0) out.push(`${s.name} handled ${s.foreign} ids of another run`);
  if (s.lost > 0 || stuck.length > 0) {
    const t = (at: number): string => seconds(at - report.startedAt);
    out.push(
      `${s.name}: ${s.lost} lost; e.g. ${s.lostSample.map((l) => `#${l.seq} (published ${t(l.publishedAt)}, confirmed ${t(l.confirmedAt)}, handled by ${l.handledBy.join(' ') || 'nobody'})`).join(', ')}`,
    );
    out.push(`${s.name} state$: ${s.states.map((c) => `${t(c.at)} ${c.status}${c.reason ? ` (${c.reason})` : ''}`).join(' → ')}`);
    out.push(`${s.name} last warnings:`, ...s.logs.slice(-15).map((l) => `  ${l}`));
    if (s.stats) out.push(`${s.name} bus stats: ${JSON.stringify(s.stats)}`);
  }
  if (out.length > 0) out.push('');
  return out;
}

function channelCell(report: ChaosReport, party: string): string {
  const mine = Object.entries(report.channels).filter(([name]) => name.startsWith(`${report.prefix}-${party} `));
  return `${mine.length} / ${mine.reduce((n, [, channels]) => n + channels, 0)}`;
}

function latencyCell({ p50Ms, p99Ms, maxMs }: ChaosReport['confirmLatency']): string {
  return `${seconds(p50Ms)} / ${seconds(p99Ms)} / ${seconds(maxMs)}`;
}

function summaryCell(faults: readonly FaultRecovery[], party: string, kind: FaultKind): string {
  const { medianMs, maxMs } = summarize(faults, party, kind);
  return medianMs === null || maxMs === null ? '-' : `${seconds(medianMs)} / ${seconds(maxMs)}`;
}

function recoveryCell(r: Recovery | undefined, kind: FaultKind): string {
  if (!r) return '';
  if (!r.disconnectSeen && kind === 'node-stop') return r.stuck ? 'NEVER (not on it)' : 'not on it';
  if (!r.disconnectSeen) return r.stuck ? 'NEVER (still down)' : 'still down';
  const connected = r.reconnectedMs === null ? 'not connected' : seconds(r.reconnectedMs);
  if (r.stuck) return `NEVER (${connected})`;
  if (r.recoveredMs === null) return r.idle ? `- (${connected})` : `>next (${connected})`;
  return `${seconds(r.recoveredMs)} (${connected})`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
