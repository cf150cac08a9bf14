import type { BenchConfig } from './config.js';
import type { Job, Scenario } from './job.js';
import { WIRE_VARIANTS, type Wire } from './bench-event.js';

/** One row of the table: a (scenario, client, variant) measured once per round. */
export interface Case {
  readonly scenario: Scenario;
  readonly client: string;
  readonly variant: string;
  /** The row the others of its scenario are compared to, in the same round. */
  readonly baseline: boolean;
  /** Whether the runner declares the exchange and queue on RabbitMQ before the child starts, and which queue. */
  readonly broker: 'none' | 'exchange' | 'exchange+queue';
  /** Runs in the first round only (a check rather than a comparison). */
  readonly once: boolean;
  readonly job: Omit<Job, 'exchange' | 'queue'>;
}

const PEERS = ['amqp-connection-manager', 'rabbitmq-client', 'rascal'] as const;
const HANDLER_PATTERNS = ['bench.created', 'bench.*', '*.created'];

/** The cases of one round, in the order they run: scenario by scenario, raw amqplib first. */
export function plan(config: BenchConfig, brokerPid?: number): Case[] {
  const wanted = (client: string) => client === 'raw-amqplib' || config.clients.length === 0 || config.clients.includes(client);
  const base = {
    url: config.url,
    wire: 'ours' as Wire,
    brokerPid,
    count: 0,
    window: config.window,
    prefetch: config.prefetch,
    noDelay: false,
    consumes: false,
    patterns: [] as string[],
    rate: config.latencyRate,
    seconds: config.latencySeconds,
    handlerMs: config.handlerMs,
    backlog: config.backlog,
    prefill: 'bus' as const,
    eventBytes: 0,
    queueType: 'classic' as const,
    asyncHandlers: false,
    telemetry: 'api' as const,
  };
  const rascalPool = process.env.BENCH_RASCAL_CONFIRM_POOL ? `confirm pool ${process.env.BENCH_RASCAL_CONFIRM_POOL}` : 'confirm pool 5 (default)';
  // rascal's default pool caps it near 2,000 publishes/s: a fifth of the events measures the same rate in a fifth of the time.
  const rascalPublish = { count: Math.ceil(config.publishCount / 5) };
  const cases: Case[] = [];
  const add = (scenario: Scenario, client: string, variant: string, job: Partial<Case['job']>, baseline = false): void => {
    if (!config.scenarios.includes(scenario) || !wanted(client)) return;
    const broker = scenario === 'memory-routing' || job.url?.startsWith('memory:') ? 'none'
      : client === 'rx-pubsub' && scenario !== 'publish' && scenario !== 'wire-cost' ? 'exchange' : 'exchange+queue';
    const once = scenario === 'rss-over-time';
    cases.push({ scenario, client, variant, baseline, broker, once, job: { ...base, scenario, client, variant, ...job } });
  };

  const publish = { count: config.publishCount };
  // The baseline is what a user writes by hand (persistent + contentType); the wire format every other client sends costs the broker more.
  add('publish', 'raw-amqplib', 'naive', { ...publish, wire: 'naive' }, true);
  add('publish', 'raw-amqplib', 'our wire format', publish);
  // rx-pubsub's guarantees written by hand on the naive publisher: a Promise per publish (as rx-pubsub's row is driven)
  // and each message kept until its confirm, to resend it. What those guarantees cost any client, next to the rows above.
  add('publish', 'raw-amqplib', 'naive, a Promise per publish, keeps each message until confirmed', { ...publish, wire: 'naive', keepCopies: true });
  add('publish', 'rx-pubsub', '', publish);
  add('publish', 'rx-pubsub', 'publishAll', { ...publish, publishAll: true });
  // OpenTelemetry: the default row has @opentelemetry/api and no SDK; these show that it costs nothing, and what an SDK costs.
  add('publish', 'rx-pubsub', 'telemetry: false', { ...publish, telemetry: 'off' });
  add('publish', 'rx-pubsub', 'OpenTelemetry SDK, always on', { ...publish, telemetry: 'sdk' });
  for (const peer of PEERS) {
    if (peer === 'rascal') add('publish', peer, `${rascalPool}, ${rascalPublish.count.toLocaleString('en-US')} events`, rascalPublish);
    else add('publish', peer, '', publish);
  }

  // What each property of the wire format costs (mostly the broker): naive raw, plus one property at a time, then all of them.
  for (const wire of WIRE_VARIANTS) {
    if (wire !== 'ours') add('wire-cost', 'raw-amqplib', wire, { ...publish, wire }, wire === 'naive');
  }
  add('wire-cost', 'raw-amqplib', 'our wire format', publish);

  const consume = { count: config.consumeCount, consumes: true };
  add('consume', 'raw-amqplib', '', consume, true);
  add('consume', 'rx-pubsub', '1 handler', { ...consume, patterns: HANDLER_PATTERNS.slice(0, 1) });
  add('consume', 'rx-pubsub', '3 handlers', { ...consume, patterns: HANDLER_PATTERNS });
  add('consume', 'rx-pubsub', '1 handler, telemetry: false', { ...consume, patterns: HANDLER_PATTERNS.slice(0, 1), telemetry: 'off' });
  add('consume', 'rx-pubsub', '1 handler, OpenTelemetry SDK, always on', { ...consume, patterns: HANDLER_PATTERNS.slice(0, 1), telemetry: 'sdk' });
  for (const peer of PEERS) add('consume', peer, '', consume);

  const latency = { consumes: true, noDelay: true, patterns: HANDLER_PATTERNS.slice(0, 1) };
  add('latency', 'raw-amqplib', 'Nagle (default)', { ...latency, noDelay: false });
  add('latency', 'raw-amqplib', 'noDelay', latency, true);
  add('latency', 'rx-pubsub', 'defaults', latency);
  for (const peer of PEERS) add('latency', peer, 'noDelay', latency);

  for (const n of config.patternCounts) {
    const patterns = [...Array.from({ length: n - 1 }, (_, i) => `d${i}.*`), 'bench.*'];
    add('memory-routing', 'rx-pubsub', `${n} patterns`, { url: 'memory://bench', count: config.memoryCount, patterns, consumes: true });
  }
  const hundred = [...Array.from({ length: 99 }, (_, i) => `d${i}.*`), 'bench.*'];
  add('memory-routing', 'rx-pubsub', '100 patterns, JSON bodies from another client', {
    url: 'memory://bench',
    count: config.memoryCount,
    patterns: hundred,
    consumes: true,
    prefill: 'json',
  });

  add('rss-over-time', 'rx-pubsub', 'memory://', { url: 'memory://bench', count: config.rssMemoryCount, consumes: true });
  add('rss-over-time', 'rx-pubsub', 'RabbitMQ', { count: config.rssAmqpCount, consumes: true });
  return cases;
}
