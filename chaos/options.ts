/** Options of a chaos run, with their defaults in one table. */
import { CLUSTER_NODES } from './cluster.js';
import type { CutScope } from './faults.js';

export interface ChaosOptions {
  /** The broker; must be on this machine (rabbitmqctl acts on the local node). @default AMQP_URL, else amqp://guest:guest@127.0.0.1:5672 */
  readonly url?: string;
  /**
   * Run against the local three-node cluster (scripts/rabbitmq-cluster.sh, started when it is not up) instead
   * of `url`: every bus gets the three nodes' URLs and a quorum queue, a cut closes the connections on every
   * node, and `restart` stops each node once (the one the buses are on, spread among the cuts). @default false
   */
  readonly cluster?: boolean;
  /** Events published. @default 20000 */
  readonly events?: number;
  /** Steady publish rate, events per second. @default 400 (200 with `cluster`) */
  readonly ratePerSecond?: number;
  /** Connection cuts (`rabbitmqctl close_all_connections`). @default 20 (10 with `cluster`) */
  readonly cuts?: number;
  /** Restart the broker application once, halfway through the cuts (with `cluster`: stop each node once). @default true */
  readonly restart?: boolean;
  /** How long the broker application stays stopped. @default 3000 */
  readonly restartDownMs?: number;
  /** Pause between the end of one fault and the next, drawn uniformly from [min, max]. @default [1000, 2000] */
  readonly faultIntervalMs?: readonly [number, number];
  /** Publishing before the first fault. @default 2000 */
  readonly warmupMs?: number;
  /** `all`: close_all_connections (the whole broker); `own`: only this run's connections. @default 'all' */
  readonly cutScope?: CutScope;
  /** Every bus's reconnectDelayMs. @default 300 */
  readonly reconnectDelayMs?: number;
  /** The publisher's publishTimeoutMs: long enough to outlive the broker restart. @default 60000 */
  readonly publishTimeoutMs?: number;
  /** Each service's prefetch. @default 32 */
  readonly prefetch?: number;
  /** Each handler call takes a random 0..handlerDelayMs ms. @default 2 */
  readonly handlerDelayMs?: number;
  /** After the last publish settled, how long to wait for both services to handle every confirmed event. @default 60000 */
  readonly drainTimeoutMs?: number;
  /** Run both services in this process instead of one child process each. @default false */
  readonly inProcess?: boolean;
  /** Progress lines (and, with `verbose`, every bus warning). @default none */
  readonly log?: (line: string) => void;
  /** Pass the buses' warnings and errors to `log` as they happen. @default false */
  readonly verbose?: boolean;
  /** Aborts the run (the broker is started again and the topology deleted). */
  readonly signal?: AbortSignal;
}

export type ResolvedChaosOptions = Required<Omit<ChaosOptions, 'log' | 'signal'>> &
  Pick<ChaosOptions, 'log' | 'signal'> & {
    /** What every bus connects to: `url`, or the cluster's nodes. */
    readonly urls: readonly string[];
  };

const DEFAULTS = {
  events: 20_000,
  ratePerSecond: 400,
  cuts: 20,
  restart: true,
  restartDownMs: 3_000,
  faultIntervalMs: [1_000, 2_000] as const,
  warmupMs: 2_000,
  cutScope: 'all' as CutScope,
  reconnectDelayMs: 300,
  publishTimeoutMs: 60_000,
  prefetch: 32,
  handlerDelayMs: 2,
  drainTimeoutMs: 60_000,
  inProcess: false,
  verbose: false,
  cluster: false,
};

/**
 * With `cluster`: a node stop takes ~10 s (stop_app, restartDownMs, start_app and boot) and a cut on three
 * nodes ~3 s, so the events are spread over ~100 s, for every fault to fall while events flow.
 */
const CLUSTER_DEFAULTS = { ratePerSecond: 200, cuts: 10 };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function resolveChaosOptions(options: ChaosOptions): ResolvedChaosOptions {
  const resolved = { ...DEFAULTS, ...(options.cluster === true ? CLUSTER_DEFAULTS : {}), ...withoutUndefined(options) };
  if (resolved.cluster && options.url !== undefined) throw new Error('chaos: give url or cluster, not both');
  const url = resolved.cluster ? clusterUrls()[0] : (options.url ?? process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
  if (!LOOPBACK.has(new URL(url).hostname)) {
    throw new Error(
      `chaos: the broker must run on this machine (127.0.0.1), since rabbitmqctl acts on the local node (got host ${new URL(url).hostname})`,
    );
  }
  for (const key of [
    'events',
    'ratePerSecond',
    'cuts',
    'restartDownMs',
    'warmupMs',
    'reconnectDelayMs',
    'publishTimeoutMs',
    'prefetch',
    'handlerDelayMs',
    'drainTimeoutMs',
  ] as const) {
    const value = resolved[key];
    if (!Number.isFinite(value) || value < 0) throw new Error(`chaos: ${key} must be a number >= 0 (got ${String(value)})`);
  }
  if (resolved.ratePerSecond === 0) throw new Error('chaos: ratePerSecond must be > 0');
  const [min, max] = resolved.faultIntervalMs;
  if (!(min >= 0 && max >= min)) throw new Error(`chaos: faultIntervalMs must be [min, max] with 0 <= min <= max (got [${min}, ${max}])`);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- validates options given on the command line
  if (resolved.cutScope !== 'all' && resolved.cutScope !== 'own')
    throw new Error(`chaos: cutScope must be 'all' or 'own' (got ${String(resolved.cutScope)})`);
  return { ...resolved, url, urls: resolved.cluster ? clusterUrls() : [url] };
}

function clusterUrls(): [string, ...string[]] {
  return CLUSTER_NODES.map((node) => node.url) as [string, ...string[]];
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
