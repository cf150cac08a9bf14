import type { Case } from './plan.js';
import type { Result } from './job.js';

/** One child's outcome in one round. */
export interface Run {
  readonly round: number;
  readonly case: Case;
  readonly result?: Result;
  readonly error?: string;
}

/** A line of the table: medians over the rounds that succeeded. */
export interface Row {
  readonly scenario: string;
  readonly client: string;
  readonly variant: string;
  readonly rounds: number;
  readonly failed: number;
  readonly msgPerSec?: number;
  /** Throughput ÷ the baseline's in the same round (latency: p50 ÷ the baseline's p50). */
  readonly ratio?: number;
  readonly cpuUsPerMsg?: number;
  readonly cpuRatio?: number;
  /** The broker's CPU per message, and ÷ the baseline's in the same round. */
  readonly brokerCpuUsPerMsg?: number;
  readonly brokerCpuRatio?: number;
  /** Peak RSS ÷ the baseline's in the same round. */
  readonly rssRatio?: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly maxMs?: number;
  readonly peakRssMb?: number;
  /** rss-over-time: the first sample, then min/max/last once warmed up (from the 2 s sample on). */
  readonly rss?: { readonly startMb: number; readonly minMb: number; readonly maxMb: number; readonly lastMb: number; readonly spreadMb: number; readonly flat: boolean };
  readonly note?: string;
  /** Why the failed rounds failed. */
  readonly errors?: readonly string[];
}

export const FLAT_MB = 30;

export function median(values: readonly number[]): number | undefined {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Samples once warmed up: from the 2 s sample on (from the 1 s one in short runs). */
function steadyPart(samples: readonly number[]): readonly number[] {
  return samples.slice(samples.length >= 5 ? 2 : 1);
}

const keyOf = (c: Case): string => `${c.scenario}|${c.client}|${c.variant}`;

/** Medians per case, and each case's ratios to its scenario's baseline of the same round. */
export function summarize(cases: readonly Case[], runs: readonly Run[]): Row[] {
  const baselineOf = (scenario: string, round: number): Result | undefined =>
    runs.find((run) => run.round === round && run.case.scenario === scenario && run.case.baseline)?.result;
  return cases.map((c) => {
    const mine = runs.filter((run) => keyOf(run.case) === keyOf(c));
    const ok = mine.filter((run): run is Run & { result: Result } => run.result !== undefined);
    const pick = (f: (r: Result) => number | undefined) => median(ok.map((run) => f(run.result) ?? NaN));
    const ratios = (f: (mine: Result, base: Result) => number) =>
      median(ok.flatMap((run) => {
        const base = baselineOf(c.scenario, run.round);
        return base ? [f(run.result, base)] : [];
      }));
    const latency = c.scenario === 'latency';
    const hasBaseline = cases.some((other) => other.scenario === c.scenario && other.baseline);
    const samples = ok.map((run) => run.result.rssSamplesMb ?? []).filter((s) => s.length > 0);
    const rss = samples.length === 0 ? undefined : (() => {
      const steady = samples.map(steadyPart);
      const of = (f: (s: readonly number[]) => number) => median(steady.map(f)) as number;
      const spreadMb = of((s) => Math.max(...s) - Math.min(...s));
      return {
        startMb: median(samples.map((s) => s[0] as number)) as number,
        minMb: of((s) => Math.min(...s)),
        maxMb: of((s) => Math.max(...s)),
        lastMb: of((s) => s[s.length - 1] as number),
        spreadMb,
        flat: spreadMb <= FLAT_MB,
      };
    })();
    return {
      scenario: c.scenario,
      client: c.client,
      variant: c.variant,
      rounds: ok.length,
      failed: mine.length - ok.length,
      msgPerSec: pick((r) => r.msgPerSec),
      ratio: hasBaseline ? ratios((m, b) => (latency ? (m.p50Ms ?? NaN) / (b.p50Ms ?? NaN) : m.msgPerSec / b.msgPerSec)) : undefined,
      cpuUsPerMsg: pick((r) => r.cpuUsPerMsg),
      cpuRatio: hasBaseline ? ratios((m, b) => m.cpuUsPerMsg / b.cpuUsPerMsg) : undefined,
      brokerCpuUsPerMsg: pick((r) => r.brokerCpuUsPerMsg),
      brokerCpuRatio: hasBaseline ? ratios((m, b) => (m.brokerCpuUsPerMsg ?? NaN) / (b.brokerCpuUsPerMsg ?? NaN)) : undefined,
      rssRatio: hasBaseline && !latency ? ratios((m, b) => m.peakRssMb / b.peakRssMb) : undefined,
      p50Ms: pick((r) => r.p50Ms),
      p99Ms: pick((r) => r.p99Ms),
      maxMs: pick((r) => r.maxMs),
      peakRssMb: pick((r) => r.peakRssMb),
      rss,
      note: [...new Set(ok.map((run) => run.result.note).filter(Boolean))].join('; ') || undefined,
      errors: [...new Set(mine.flatMap((run) => (run.error ? [run.error] : [])))],
    };
  });
}

const HEAD = ['scenario', 'client', 'msg/s', '×raw', 'CPU µs/msg', 'CPU ×raw', 'broker µs/msg', 'broker ×raw', 'p50 ms', 'p99 ms', 'max ms', 'peak RSS MB', 'RSS ×raw', 'notes'];

function cells(row: Row): string[] {
  const n = (v: number | undefined, digits = 0) =>
    v === undefined ? '' : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const x = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '' : `${n(v, 2)}×`);
  const ms = (v: number | undefined) => (v === undefined ? '' : v < 10 ? n(v, 2) : n(v, 1));
  const notes = [
    row.rss && `RSS at start ${n(row.rss.startMb)} MB, from 2 s on ${n(row.rss.minMb)}–${n(row.rss.maxMb)} MB (last ${n(row.rss.lastMb)}): spread ${n(row.rss.spreadMb, 1)} MB, ${row.rss.flat ? 'flat' : 'NOT flat'} (limit ${FLAT_MB})`,
    row.note,
    row.failed > 0 && `${row.failed} of ${row.rounds + row.failed} rounds FAILED: ${row.errors?.join(' / ')}`,
  ].filter(Boolean);
  return [
    row.scenario,
    row.variant ? `${row.client} (${row.variant})` : row.client,
    n(row.msgPerSec),
    row.ratio === undefined ? '' : `${n(row.ratio, 2)}×`,
    n(row.cpuUsPerMsg, 1),
    x(row.cpuRatio),
    n(row.brokerCpuUsPerMsg, 1),
    x(row.brokerCpuRatio),
    ms(row.p50Ms),
    ms(row.p99Ms),
    ms(row.maxMs),
    n(row.peakRssMb),
    x(row.rssRatio),
    notes.join('; '),
  ];
}

/** The table for a terminal: aligned columns, numbers right-aligned. */
export function textTable(rows: readonly Row[]): string {
  const body = rows.map(cells);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 || i === r.length - 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function markdownTable(rows: readonly Row[]): string {
  const align = HEAD.map((_, i) => (i < 2 || i === HEAD.length - 1 ? ':--' : '--:'));
  return [HEAD, align, ...rows.map(cells)].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
