import { benchEventBytes } from './bench-event.js';
import { likelyLimit } from './likely-limit.js';
import type { Result } from './job.js';
import { median } from './report.js';
import { type AxisPlan, bytesLabel, type ScaleClient, type ScalePoint } from './scale-plan.js';
import type { ChartSeries, ChartSpec } from './svg-chart.js';

/** One client's measurement of one point in one round. */
export interface ScaleRun {
  readonly round: number;
  readonly pointId: string;
  readonly client: ScaleClient;
  /** The 1-minute load average as the run started: how noisy its figures may be. */
  readonly loadAverage: number;
  readonly result?: Result;
  readonly error?: string;
}

/** One client's medians at one point. */
export interface ClientFigures {
  readonly rounds: number;
  readonly failed: number;
  readonly msgPerSec?: number;
  readonly cpuUsPerMsg?: number;
  readonly brokerCpuUsPerMsg?: number;
  readonly gcUsPerMsg?: number;
  readonly loopBusy?: number;
  /** The broker's CPU per second at this rate, in cores (broker µs/msg × msg/s): near 1, a queue's single Erlang process may be the limit. */
  readonly brokerCores?: number;
  readonly peakRssMb?: number;
  /** Several consumer processes: how many deliveries each acked, in the first round that succeeded. */
  readonly perProcess?: readonly number[];
  readonly notes: readonly string[];
}

/** A point's figures for both clients, and rx-pubsub's ratios to raw amqplib in the same round (medians of them). */
export interface PointSummary {
  readonly point: ScalePoint;
  /** The size of its events' JSON bodies, in bytes. */
  readonly bodyBytes: number;
  readonly raw: ClientFigures;
  readonly rx: ClientFigures;
  readonly ratio?: number;
  readonly cpuRatio?: number;
  readonly brokerCpuRatio?: number;
}

export function summarizeScale(points: readonly ScalePoint[], runs: readonly ScaleRun[]): Map<string, PointSummary> {
  const summaries = new Map<string, PointSummary>();
  for (const point of points) {
    const of = (client: ScaleClient) => runs.filter((run) => run.pointId === point.id && run.client === client);
    const pairs = of('rx-pubsub').flatMap((run) => {
      const base = of('raw-amqplib').find((b) => b.round === run.round)?.result;
      return run.result && base ? [{ mine: run.result, base }] : [];
    });
    const ratio = (f: (r: Result) => number | undefined) => median(pairs.map(({ mine, base }) => (f(mine) ?? NaN) / (f(base) ?? NaN)));
    summaries.set(point.id, {
      point,
      bodyBytes: benchEventBytes(point.eventBytes),
      raw: figures(of('raw-amqplib')),
      rx: figures(of('rx-pubsub')),
      ratio: ratio((r) => r.msgPerSec),
      cpuRatio: ratio((r) => r.cpuUsPerMsg),
      brokerCpuRatio: ratio((r) => r.brokerCpuUsPerMsg),
    });
  }
  return summaries;
}

function figures(runs: readonly ScaleRun[]): ClientFigures {
  const ok = runs.flatMap((run) => (run.result ? [run.result] : []));
  const pick = (f: (r: Result) => number | undefined) => median(ok.map((r) => f(r) ?? NaN));
  const failures = runs.flatMap((run) => (run.error ? [`round ${run.round} FAILED: ${run.error}`] : []));
  return {
    rounds: ok.length,
    failed: runs.length - ok.length,
    msgPerSec: pick((r) => r.msgPerSec),
    cpuUsPerMsg: pick((r) => r.cpuUsPerMsg),
    brokerCpuUsPerMsg: pick((r) => r.brokerCpuUsPerMsg),
    gcUsPerMsg: pick((r) => r.gcUsPerMsg),
    loopBusy: pick((r) => r.loopBusy),
    brokerCores: pick((r) => (r.brokerCpuUsPerMsg === undefined ? undefined : (r.brokerCpuUsPerMsg * r.msgPerSec) / 1e6)),
    peakRssMb: pick((r) => r.peakRssMb),
    perProcess: ok.find((r) => r.perProcess)?.perProcess,
    notes: [...new Set([...ok.flatMap((r) => (r.note ? [r.note] : [])), ...failures])],
  };
}

/** How an x value of an axis is written: `64 KB`, `1,000`, `quorum`. */
export function xLabel(axis: AxisPlan, x: number | string): string {
  if (typeof x === 'string') return x;
  return axis.axis === 'size' ? bytesLabel(x) : x.toLocaleString('en-US');
}

const n = (v: number | undefined, digits = 0): string =>
  v === undefined || !Number.isFinite(v) ? '' : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const x2 = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '' : `${n(v, 2)}×`);
/** µs with a precision that suits the size: 12.3, 456, 12,345. */
const us = (v: number | undefined): string => (v === undefined ? '' : n(v, v < 100 ? 1 : 0));

const HEAD = ['mode', 'x', 'events', 'msg/s raw', 'msg/s rx-pubsub', '×raw', 'CPU µs/msg raw', 'CPU µs/msg rx-pubsub', 'CPU ×raw',
  'GC µs/msg raw / rx', 'loop busy raw / rx', 'broker µs/msg raw / rx', 'broker cores raw / rx', 'likely limit raw / rx', 'notes'];

/** `12.3 / 45.6`: a figure for both clients in one cell. */
function pair(s: PointSummary, f: (c: ClientFigures) => number | undefined, show: (v: number | undefined) => string): string {
  const [a, b] = [f(s.raw), f(s.rx)];
  return a === undefined && b === undefined ? '' : `${show(a) || '–'} / ${show(b) || '–'}`;
}

const percent = (v: number | undefined): string => (v === undefined ? '' : `${Math.round(v * 100)}%`);

function row(axis: AxisPlan, mode: string, x: number | string, s: PointSummary): string[] {
  const label = xLabel(axis, x);
  const notes = [...s.raw.notes.map((note) => `raw: ${note}`), ...s.rx.notes.map((note) => `rx-pubsub: ${note}`)];
  const shares = (c: ClientFigures) => c.perProcess?.map((m) => n(m)).join(' / ');
  if (s.raw.perProcess ?? s.rx.perProcess) notes.unshift(`acked per process (first round): ${shares(s.raw) ?? '–'} raw, ${shares(s.rx) ?? '–'} rx-pubsub`);
  if (axis.axis === 'size') {
    const mbps = (v: number | undefined) => (v === undefined ? '' : n((v * s.bodyBytes) / 1e6, 1));
    notes.unshift(`payload ${mbps(s.raw.msgPerSec)} / ${mbps(s.rx.msgPerSec)} MB/s`);
  }
  return [mode, axis.axis === 'size' ? `${label} (${n(s.bodyBytes)} B)` : label, n(s.point.count),
    n(s.raw.msgPerSec), n(s.rx.msgPerSec), x2(s.ratio), us(s.raw.cpuUsPerMsg), us(s.rx.cpuUsPerMsg), x2(s.cpuRatio),
    pair(s, (c) => c.gcUsPerMsg, us), pair(s, (c) => c.loopBusy, percent), pair(s, (c) => c.brokerCpuUsPerMsg, us),
    pair(s, (c) => c.brokerCores, (v) => n(v, 2)), `${likelyLimit(s.raw) || '–'} / ${likelyLimit(s.rx) || '–'}`, notes.join('; ')];
}

/** An axis's table in Markdown under a heading of `level`: one row per (mode, x), then how much each step changes throughput and CPU. */
export function axisMarkdown(axis: AxisPlan, summaries: ReadonlyMap<string, PointSummary>, level = 2): string {
  const rows = axis.curves.flatMap((curve) =>
    curve.pointIds.flatMap((id, i) => {
      const s = summaries.get(id);
      return s ? [row(axis, curve.mode, axis.xs[i] ?? '', s)] : [];
    }),
  );
  const table = [HEAD, HEAD.map((_, i) => (i < 2 || i === HEAD.length - 1 ? ':--' : '--:')), ...rows]
    .map((r) => `| ${r.join(' | ')} |`)
    .join('\n');
  return [`${'#'.repeat(level)} ${axis.title}`, '', table, '', ...steps(axis, summaries), ''].join('\n');
}

/**
 * Each step's ratio to the point before it (msg/s, client CPU, broker CPU
 * per message): a bend shows as the step where the ratio leaves ~1×.
 */
function steps(axis: AxisPlan, summaries: ReadonlyMap<string, PointSummary>): string[] {
  if (axis.xs.length < 3) return [];
  const lines = axis.curves.flatMap((curve) =>
    (['raw', 'rx'] as const).map((who) => {
      const at = curve.pointIds.map((id) => summaries.get(id)?.[who]);
      const ratios = (f: (c: ClientFigures) => number | undefined) =>
        at.slice(1).map((c, i) => {
          const prev = at[i];
          const a = prev && f(prev);
          const b = c && f(c);
          return a && b ? `${n(b / a, 2)}×` : '–';
        }).join(', ');
      return `- ${curve.mode}, ${who === 'raw' ? 'raw amqplib' : 'rx-pubsub'}: msg/s ${ratios((c) => c.msgPerSec)}; client CPU/msg ${ratios((c) => c.cpuUsPerMsg)}; broker CPU/msg ${ratios((c) => c.brokerCpuUsPerMsg)}`;
    }),
  );
  const xs = axis.xs.map((x) => xLabel(axis, x));
  const names = xs.slice(1).map((x, i) => `${xs[i]}→${x}`).join(', ');
  return [`Each step's ratio to the point before it (${names}):`, '', ...lines];
}

export const COLORS: Readonly<Record<ScaleClient, string>> = { 'raw-amqplib': '#6b6b6b', 'rx-pubsub': '#1f6fd1' };

/** An axis's chart: per mode, a throughput panel and a CPU-per-message panel (client solid, broker dashed). */
export function axisChart(axis: AxisPlan, summaries: ReadonlyMap<string, PointSummary>, subtitle: string, footnote: string): ChartSpec {
  const panels = axis.curves.flatMap((curve) => {
    const at = curve.pointIds.map((id) => summaries.get(id));
    const line = (name: string, client: ScaleClient, f: (s: PointSummary) => number | undefined, dashed = false): ChartSeries => ({
      name, color: COLORS[client], dashed, values: at.map((s) => (s ? f(s) : undefined)),
    });
    return [
      {
        title: `${curve.mode}: throughput (msg/s)`,
        series: [line('raw amqplib msg/s', 'raw-amqplib', (s) => s.raw.msgPerSec), line('rx-pubsub msg/s', 'rx-pubsub', (s) => s.rx.msgPerSec)],
      },
      {
        title: `${curve.mode}: CPU per message (µs)`,
        series: [
          line('raw amqplib client µs/msg', 'raw-amqplib', (s) => s.raw.cpuUsPerMsg),
          line('rx-pubsub client µs/msg', 'rx-pubsub', (s) => s.rx.cpuUsPerMsg),
          line('broker µs/msg (raw amqplib)', 'raw-amqplib', (s) => s.raw.brokerCpuUsPerMsg, true),
          line('broker µs/msg (rx-pubsub)', 'rx-pubsub', (s) => s.rx.brokerCpuUsPerMsg, true),
        ],
      },
    ];
  });
  return {
    title: `rx-pubsub scale: ${axis.title.toLowerCase()}`,
    subtitle,
    xLabel: axis.xLabel,
    xScale: axis.xScale,
    xs: axis.xs,
    xTickLabels: axis.xs.map((x) => xLabel(axis, x)),
    columns: 2,
    panels,
    legend: [
      { label: 'raw amqplib', color: COLORS['raw-amqplib'] },
      { label: 'rx-pubsub', color: COLORS['rx-pubsub'] },
      { label: 'client process CPU', color: '#333333' },
      { label: 'broker CPU (RabbitMQ)', color: '#333333', dashed: true },
    ],
    footnote,
  };
}
