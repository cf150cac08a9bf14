import { SCENARIOS, type Scenario } from './job.js';

/** Sizes and switches of one benchmark run; see README.md for the environment variables. */
export interface BenchConfig {
  readonly url: string;
  readonly quick: boolean;
  readonly rounds: number;
  readonly scenarios: readonly Scenario[];
  /** Only these clients (all when empty); raw-amqplib always runs, it is the baseline. */
  readonly clients: readonly string[];
  readonly publishCount: number;
  readonly window: number;
  readonly consumeCount: number;
  readonly prefetch: number;
  readonly latencyRate: number;
  readonly latencySeconds: number;
  readonly memoryCount: number;
  readonly patternCounts: readonly number[];
  readonly rssMemoryCount: number;
  readonly rssAmqpCount: number;
  readonly handlerMs: number;
  readonly backlog: number;
  /** A child still running after this is killed and its run counted as failed. */
  readonly childTimeoutMs: number;
}

/** How `run.ts` and `scale.ts` read their command line and environment. */
export interface ArgReader {
  /** `--name=value` → value, `--name` → 'true', absent → undefined. */
  flag(name: string): string | undefined;
  /** `--quick` or BENCH_QUICK (not `0`). */
  readonly quick: boolean;
  /** BENCH_<name> as a positive number, else the default (the small one with `--quick`). */
  number(name: string, normal: number, small: number): number;
  /** `a, b,c` → ['a', 'b', 'c']. */
  list(value: string | undefined): string[];
}

export function argReader(argv: readonly string[], env: NodeJS.ProcessEnv): ArgReader {
  const flag = (name: string): string | undefined => {
    const prefix = `--${name}=`;
    const given = argv.find((arg) => arg === `--${name}` || arg.startsWith(prefix));
    if (given === undefined) return undefined;
    return given.startsWith(prefix) ? given.slice(prefix.length) : 'true';
  };
  const quick = (flag('quick') ?? env.BENCH_QUICK ?? '') !== '' && (flag('quick') ?? env.BENCH_QUICK) !== '0';
  const number = (name: string, normal: number, small: number): number => {
    const raw = env[`BENCH_${name}`];
    const value = raw === undefined || raw === '' ? (quick ? small : normal) : Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`BENCH_${name} must be a positive number (got ${raw})`);
    return value;
  };
  const list = (value: string | undefined): string[] => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return { flag, quick, number, list };
}

/** Reads `--quick`, `--rounds=N`, `--scenarios=a,b`, `--clients=a,b` and the BENCH_* variables. */
export function readConfig(argv: readonly string[], env: NodeJS.ProcessEnv): BenchConfig {
  const { flag, quick, number, list } = argReader(argv, env);

  const scenarios = list(flag('scenarios') ?? env.BENCH_SCENARIOS);
  for (const scenario of scenarios) {
    if (!SCENARIOS.includes(scenario as Scenario)) throw new Error(`unknown scenario ${scenario}: use ${SCENARIOS.join(', ')}`);
  }
  return {
    url: env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    quick,
    rounds: Number(flag('rounds') ?? number('ROUNDS', 3, 1)),
    scenarios: scenarios.length > 0 ? (scenarios as Scenario[]) : SCENARIOS,
    clients: list(flag('clients') ?? env.BENCH_CLIENTS),
    publishCount: number('PUBLISH_COUNT', 50_000, 10_000),
    window: number('WINDOW', 1_000, 1_000),
    consumeCount: number('CONSUME_COUNT', 50_000, 10_000),
    prefetch: number('PREFETCH', 200, 200),
    latencyRate: number('LATENCY_RATE', 2_000, 2_000),
    latencySeconds: number('LATENCY_SECONDS', 6, 3),
    memoryCount: number('MEMORY_COUNT', 200_000, 50_000),
    patternCounts: [10, 100, 1_000],
    rssMemoryCount: number('RSS_MEMORY_COUNT', 200_000, 50_000),
    rssAmqpCount: number('RSS_AMQP_COUNT', 40_000, 10_000),
    handlerMs: number('HANDLER_MS', 5, 5),
    backlog: number('BACKLOG', 10_000, 10_000),
    childTimeoutMs: number('CHILD_TIMEOUT_S', 180, 60) * 1_000,
  };
}
