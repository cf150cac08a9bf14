import { argReader } from './config.js';

/** The scale run's axes, in the order a round runs them. */
export const AXES = ['size', 'handlers', 'prefetch', 'consumers', 'queue'] as const;
export type Axis = (typeof AXES)[number];

/** Both clients measure every point, raw amqplib (the baseline) first in odd rounds, second in even ones. */
export const SCALE_CLIENTS = ['raw-amqplib', 'rx-pubsub'] as const;
export type ScaleClient = (typeof SCALE_CLIENTS)[number];

export type Mode = 'publish' | 'consume';

/** Sizes and switches of one scale run: `--quick`, `--rounds=N`, `--axes=a,b`, `--count=N`, and the environment (README.md). */
export interface ScaleConfig {
  readonly url: string;
  readonly quick: boolean;
  readonly rounds: number;
  readonly axes: readonly Axis[];
  /** Events per point at the base setting; other points scale it (see {@link countFor}). */
  readonly count: number;
  readonly childTimeoutMs: number;
}

/**
 * Events at the base setting, by default and with `--quick`. 20,000 should
 * keep a default run near 5 minutes on 2 quiet cores, where 30,000 would take
 * 6–9 (an estimate: a --count=10000 run took 647 s at load 13–20, half of it
 * per-child cost outside the timed part, and raw amqplib published 4,911
 * msg/s at load 18 against 20,041 on a quiet day). Round 1 prints the projection.
 */
export const SCALE_COUNT = { normal: 20_000, quick: 5_000 } as const;

function positive(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number (got ${raw})`);
  return value;
}

export function readScaleConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ScaleConfig {
  const { flag, quick, number, list } = argReader(argv, env);
  const axes = list(flag('axes') ?? env.BENCH_AXES);
  for (const axis of axes) if (!AXES.includes(axis as Axis)) throw new Error(`unknown axis ${axis}: use ${AXES.join(', ')}`);
  return {
    url: env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    quick,
    rounds: Number(flag('rounds') ?? number('ROUNDS', 3, 1)),
    axes: axes.length > 0 ? (axes as Axis[]) : AXES,
    count: positive('--count', flag('count')) ?? number('SCALE_COUNT', SCALE_COUNT.normal, SCALE_COUNT.quick),
    childTimeoutMs: number('CHILD_TIMEOUT_S', 180, 90) * 1_000,
  };
}

/** One setting measured once per round and client; axes share the points they have in common (the base setting). */
export interface ScalePoint {
  readonly id: string;
  /** `consume` with `consumers` > 0 runs that many consumer processes on one queue (`shared-consume`). */
  readonly mode: Mode;
  /** The nominal event size (200: the plain event, ~185 bytes, unpadded). */
  readonly eventBytes: number;
  readonly handlers: number;
  readonly prefetch: number;
  /** 0: one consumer that times itself (the plain consume scenario); N: N processes timed by the runner. */
  readonly consumers: number;
  readonly queueType: 'classic' | 'quorum';
  readonly count: number;
  /** publish: at most this many unconfirmed (1,000, fewer for large events: at most ~32 MiB in flight). */
  readonly window: number;
}

/** The base setting every axis varies one thing of. */
const BASE = { eventBytes: 200, handlers: 1, prefetch: 100, consumers: 0, queueType: 'classic' } as const;

export const SIZES = [200, 4_096, 65_536, 1_048_576] as const;
export const HANDLERS = [1, 10, 100] as const;
export const PREFETCHES = [1, 10, 100, 1_000] as const;
export const CONSUMERS = [1, 2, 4] as const;

/** An axis's curves: one per mode, with the point measured at each x. */
export interface AxisPlan {
  readonly axis: Axis;
  readonly title: string;
  readonly xLabel: string;
  /** `log`: numeric x on a log scale (every axis here doubles or more per step); `category`: named x, drawn as bars. */
  readonly xScale: 'log' | 'category';
  readonly xs: readonly (number | string)[];
  readonly curves: readonly { readonly mode: Mode; readonly pointIds: readonly string[] }[];
}

type Setting = Omit<ScalePoint, 'id' | 'count' | 'window'>;
const WINDOW = 1_000;
const IN_FLIGHT_BYTES = 32 * 2 ** 20;

/**
 * Events per point: `base` at the base setting, fewer where each costs
 * more, so that every point takes about as long (a few seconds on 2 quiet
 * cores) and the whole default run stays under ten minutes.
 */
export function countFor(s: Setting, base: number): number {
  const bySize = s.eventBytes >= 1_048_576 ? 0.01 : s.eventBytes >= 65_536 ? 0.1 : s.eventBytes >= 4_096 ? 0.5 : 1;
  const byPrefetch = s.prefetch <= 1 ? 0.25 : s.prefetch <= 10 ? 0.5 : 1;
  const byHandlers = s.handlers >= 100 ? 0.5 : 1;
  return Math.max(20, Math.round(base * bySize * byPrefetch * byHandlers));
}

function pointOf(s: Setting, base: number): ScalePoint {
  const id = `${s.mode}|${s.eventBytes} B|${s.handlers} handlers|prefetch ${s.prefetch}|${s.consumers} processes|${s.queueType}`;
  const window = Math.max(16, Math.min(WINDOW, Math.floor(IN_FLIGHT_BYTES / s.eventBytes)));
  return { ...s, id, count: countFor(s, base), window };
}

/** The points a run measures (each once per round and client) and how they line up on the axes asked for. */
export function scalePlan(config: ScaleConfig): { points: ScalePoint[]; axes: AxisPlan[] } {
  const points = new Map<string, ScalePoint>();
  const at = (change: Partial<Setting> & { mode: Mode }): string => {
    const point = pointOf({ ...BASE, ...change }, config.count);
    if (!points.has(point.id)) points.set(point.id, point);
    return point.id;
  };
  const axes: AxisPlan[] = [];
  const want = (axis: Axis) => config.axes.includes(axis);
  const both: readonly Mode[] = ['publish', 'consume'];
  if (want('size')) {
    const curves = both.map((mode) => ({ mode, pointIds: SIZES.map((eventBytes) => at({ mode, eventBytes })) }));
    axes.push({ axis: 'size', title: 'Event size', xLabel: 'event size (JSON body)', xScale: 'log', xs: SIZES, curves });
  }
  if (want('handlers')) {
    const curves = [{ mode: 'consume' as const, pointIds: HANDLERS.map((handlers) => at({ mode: 'consume', handlers })) }];
    axes.push({ axis: 'handlers', title: 'Matching handlers per delivery', xLabel: 'handlers (all match, async)', xScale: 'log', xs: HANDLERS, curves });
  }
  if (want('prefetch')) {
    const curves = [{ mode: 'consume' as const, pointIds: PREFETCHES.map((prefetch) => at({ mode: 'consume', prefetch })) }];
    axes.push({ axis: 'prefetch', title: 'Prefetch', xLabel: 'prefetch (unacked deliveries per consumer)', xScale: 'log', xs: PREFETCHES, curves });
  }
  if (want('consumers')) {
    const curves = [{ mode: 'consume' as const, pointIds: CONSUMERS.map((consumers) => at({ mode: 'consume', consumers })) }];
    axes.push({ axis: 'consumers', title: 'Consumer processes on one queue', xLabel: 'consumer processes (total throughput)', xScale: 'log', xs: CONSUMERS, curves });
  }
  if (want('queue')) {
    const types = ['classic', 'quorum'] as const;
    const curves = both.map((mode) => ({ mode, pointIds: types.map((queueType) => at({ mode, queueType })) }));
    axes.push({ axis: 'queue', title: 'Queue type', xLabel: 'queue type', xScale: 'category', xs: types, curves });
  }
  return { points: [...points.values()], axes };
}

/** `200 B`, `4 KB`, `64 KB`, `1 MB`. */
export function bytesLabel(bytes: number): string {
  if (bytes >= 2 ** 20) return `${Math.round(bytes / 2 ** 20)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}
