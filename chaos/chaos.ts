/**
 * The chaos run: a publisher (its own bus) publishes unique ids at a steady
 * rate to two services (two buses, two queues bound to the same pattern, one
 * child process each) while the broker's connections are cut every second or
 * two and the broker application is restarted once. Afterwards it waits
 * (bounded) until both services handled every confirmed id and reports what
 * was lost, duplicated, dead-lettered, and how fast each party recovered.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventBus } from '../src/index.js';
import { confirmLatency, countConfirmed, everyConfirmedHandled, serviceReport, timelines } from './analysis.js';
import {
  channelsByConnection,
  cutConnections,
  deleteTopology,
  ensureBrokerStarted,
  type Fault,
  queueInfo,
  restartBroker,
} from './faults.js';
import { CLUSTER_NODES, connectionsPerNode, clusterIsUp, ensureNodesStarted, restartNode, startCluster } from './cluster.js';
import { capturingLogger, logText } from './log-lines.js';
import { type ChaosOptions, type ResolvedChaosOptions, resolveChaosOptions } from './options.js';
import type { LogLine, ServiceConfig, StateChange } from './protocol.js';
import { recoveries } from './recovery.js';
import { type ChaosReport, PUBLISHER, SERVICE_NAMES } from './report.js';
import { ServiceHandle } from './service-handle.js';
import { SteadyPublisher } from './steady-publisher.js';

export type { ChaosOptions } from './options.js';
export { type ChaosReport, formatReport, problems } from './report.js';

const DOMAIN = 'chaos';
const PATTERN = `${DOMAIN}.*`;
const READY_TIMEOUT_MS = 60_000;
const EMPTY_QUEUE_TIMEOUT_MS = 15_000;
/** After the queues are empty: late redeliveries (duplicates) still arriving. */
const QUIET_MS = 1_000;
const PROGRESS_MS = 5_000;
const MAX_LOG_LINES = 500;

/** Runs the chaos scenario and reports; the broker application is running again when it settles, pass or fail. */
export async function runChaos(options: ChaosOptions = {}): Promise<ChaosReport> {
  const config = resolveChaosOptions(options);
  const log = config.log ?? (() => undefined);
  const prefix = `chaos-${randomBytes(4).toString('hex')}`;
  const exchange = `${prefix}.events`;
  const idOf = (seq: number): string => `${prefix}-${seq}`;
  const seqOf = (id: string): number | undefined => (id.startsWith(`${prefix}-`) ? Number(id.slice(prefix.length + 1)) : undefined);
  const startedAt = Date.now();

  const services: ServiceHandle[] = [];
  const publisherStates: StateChange[] = [];
  const publisherLogs: LogLine[] = [];
  const faults: Fault[] = [];
  let publisherBus: EventBus | undefined;
  let stopPublishing = (): void => undefined;
  let progress: NodeJS.Timeout | undefined;
  try {
    if (config.cluster && !(await clusterIsUp())) {
      log('the local cluster is not (fully) up: starting it with scripts/rabbitmq-cluster.sh start');
      await startCluster();
    }
    for (const name of SERVICE_NAMES) {
      const onLog = config.verbose ? (service: string, line: LogLine) => log(logText(service, line)) : undefined;
      services.push(
        ServiceHandle.start(
          { ...serviceConfig(config, prefix, name), exchange },
          { events: config.events, seqOf, inProcess: config.inProcess, ...(onLog ? { onLog } : {}) },
        ),
      );
    }
    await Promise.all(services.map((s) => s.ready(READY_TIMEOUT_MS)));
    publisherBus = await EventBus.connect({
      url: config.urls,
      exchange,
      reconnectDelayMs: config.reconnectDelayMs,
      publishTimeoutMs: config.publishTimeoutMs,
      connectionName: `${prefix}-${PUBLISHER}`,
      logger: capturingLogger((line) => {
        if (publisherLogs.length < MAX_LOG_LINES) publisherLogs.push(line);
        if (config.verbose) log(logText(PUBLISHER, line));
      }),
    });
    publisherBus.state$.subscribe((s) =>
      publisherStates.push({ status: s.status, ...('reason' in s ? { reason: s.reason } : {}), at: Date.now() }),
    );
    log(
      `chaos ${prefix}: ${config.events} events at ${config.ratePerSecond}/s, ${config.cuts} cuts (${config.cutScope}), ` +
        `${config.cluster ? `${config.restart ? CLUSTER_NODES.length : 0} node stops on the local cluster` : `${config.restart ? 1 : 0} broker restart`}, ` +
        `services in ${config.inProcess ? 'this process' : 'child processes'}`,
    );

    const publisher = new SteadyPublisher(publisherBus, config.events, config.ratePerSecond, idOf, DOMAIN);
    stopPublishing = () => publisher.stop();
    const publishStartedAt = Date.now();
    progress = setInterval(() => log(progressLine(publishStartedAt, publisher, services, faults)), PROGRESS_MS);
    let publishEndedAt = Number.NaN;
    void publisher.run().then(() => {
      publishEndedAt = Date.now();
      log(`publishing done: every publish confirmed or rejected; waiting for both services to handle every confirmed event`);
    });
    await injectFaults(config, prefix, faults, log);
    // Each publish is bounded by publishTimeoutMs; a publish that outlives it is a finding (reported as unsettled), not a hang.
    const publishDeadline = publishStartedAt + (config.events / config.ratePerSecond) * 1000 + config.publishTimeoutMs + 10_000;
    await waitUntil(() => !Number.isNaN(publishEndedAt), publishDeadline - Date.now(), config.signal);
    if (Number.isNaN(publishEndedAt)) publishEndedAt = Date.now();

    const record = publisher.record;
    const drained = await waitUntil(
      () => services.every((s) => everyConfirmedHandled(record.confirmedAt, s.handled)),
      config.drainTimeoutMs,
      config.signal,
    );
    const queues = services.map((s) => s.config.queue);
    const via = config.cluster ? CLUSTER_NODES[0]?.name : undefined;
    await waitUntil(
      async () => [...(await queueInfo(queues, via)).values()].every((q) => q.messages === 0),
      EMPTY_QUEUE_TIMEOUT_MS,
      config.signal,
    );
    await sleep(QUIET_MS, undefined, { signal: config.signal });
    const queueFigures = await queueInfo([...queues, ...queues.map((q) => `${q}.dlq`)], via);
    const channels = Object.fromEntries(await channelsByConnection(prefix, via));
    clearInterval(progress);
    await Promise.all(services.map((s) => s.close(10_000, 20_000)));
    await publisherBus.close({ timeoutMs: 10_000 });

    const confirmed = countConfirmed(record.confirmedAt);
    const rejected = [...record.rejections.values()].reduce((a, b) => a + b, 0);
    const window = { from: publishStartedAt, to: publishEndedAt };
    const { log: _log, signal: _signal, ...shown } = config;
    return {
      prefix,
      mode: config.inProcess ? 'in-process' : 'child-processes',
      options: { ...shown, url: redact(config.url), urls: config.urls.map(redact) },
      durationMs: Date.now() - startedAt,
      publishMs: publishEndedAt - publishStartedAt,
      drained,
      published: publisher.published,
      confirmed,
      rejected,
      unsettled: publisher.published - confirmed - rejected,
      rejections: Object.fromEntries(record.rejections),
      rejectionSamples: record.rejectionSamples,
      confirmLatency: confirmLatency(record),
      publisherStates,
      publisherLogs: publisherLogs.map((l) => logText(PUBLISHER, l)),
      services: services.map((s) => serviceReport(s, record, services, queueFigures, window)),
      faults: recoveries(faults, timelines(record, publisherStates, services)),
      channels,
      startedAt: publishStartedAt,
    };
  } finally {
    clearInterval(progress);
    stopPublishing();
    // The broker application (every node's) must be running when we leave, whatever happened.
    await (config.cluster ? ensureNodesStarted() : ensureBrokerStarted()).catch((error: unknown) =>
      log(`could not make sure the broker runs: ${String(error)}`),
    );
    for (const s of services) s.kill();
    await publisherBus?.close({ timeoutMs: 1_000 }).catch(() => undefined);
    const queues = services.flatMap((s) => [s.config.queue, `${s.config.queue}.dlq`]);
    await deleteTopology(config.url, queues, exchange).catch((error: unknown) =>
      log(`could not delete ${prefix} queues: ${String(error)}`),
    );
  }
}

function serviceConfig(config: ResolvedChaosOptions, prefix: string, name: string): Omit<ServiceConfig, 'exchange'> {
  return {
    name,
    url: config.urls,
    quorum: config.cluster,
    queue: `${prefix}.${name}`,
    pattern: PATTERN,
    prefetch: config.prefetch,
    reconnectDelayMs: config.reconnectDelayMs,
    handlerDelayMs: config.handlerDelayMs,
    connectionName: `${prefix}-${name}`,
  };
}

/**
 * Cuts (and restarts) on schedule: the broker restart comes halfway through the cuts; on a cluster, each node
 * is stopped once, at a quarter, half and three quarters of the cuts (see nodeStops).
 */
async function injectFaults(config: ResolvedChaosOptions, prefix: string, faults: Fault[], log: (line: string) => void): Promise<void> {
  const plan: (() => Promise<Fault[]>)[] = Array.from({ length: config.cuts }, () => async () => [await cut(config, prefix)]);
  if (config.restart && !config.cluster)
    plan.splice(Math.floor(config.cuts / 2), 0, async () => [await restartBroker(config.restartDownMs)]);
  if (config.restart && config.cluster) {
    const stop = nodeStops(config, prefix);
    for (let k = CLUSTER_NODES.length; k >= 1; k--) plan.splice(Math.floor((k * config.cuts) / (CLUSTER_NODES.length + 1)), 0, stop);
  }
  await sleep(config.warmupMs, undefined, { signal: config.signal });
  for (const [i, inject] of plan.entries()) {
    if (i > 0) await pause(config);
    for (const fault of await inject()) {
      faults.push(fault);
      const stopped = `stopped ${((fault.endedAt - fault.startedAt) / 1000).toFixed(1)} s`;
      if (fault.kind === 'restart') log(`broker application restarted (${stopped})`);
      if (fault.kind === 'node-stop') log(`${fault.node ?? 'node'} stopped and started again (${stopped})`);
    }
  }
}

/**
 * Each call stops one node not stopped yet, the one the buses are on. A cut moves them to their next URL: when
 * they are on a node stopped already, cuts (in the run's faults too) move them on first.
 */
function nodeStops(config: ResolvedChaosOptions, prefix: string): () => Promise<Fault[]> {
  const left = [...CLUSTER_NODES];
  return async () => {
    const done: Fault[] = [];
    let counts = await connectionsPerNode(prefix);
    while (!left.some((node) => (counts.get(node) ?? 0) > 0) && done.length < CLUSTER_NODES.length) {
      done.push(await cut(config, prefix));
      await pause(config);
      counts = await connectionsPerNode(prefix);
    }
    const node = left.reduce((best, n) => ((counts.get(n) ?? 0) > (counts.get(best) ?? 0) ? n : best));
    left.splice(left.indexOf(node), 1);
    done.push(await restartNode(node, config.restartDownMs));
    return done;
  };
}

/** The pause between two faults, drawn from faultIntervalMs. */
function pause(config: ResolvedChaosOptions): Promise<void> {
  const [min, max] = config.faultIntervalMs;
  return sleep(min + Math.random() * (max - min), undefined, { signal: config.signal });
}

/**
 * A connection cut: on the local broker, or on the cluster's nodes that hold the run's connections, at once
 * (cutting the others too would cut the buses again as they arrive there, moving them two nodes on).
 */
async function cut(config: ResolvedChaosOptions, prefix: string): Promise<Fault> {
  if (!config.cluster) return cutConnections(config.cutScope, prefix);
  const counts = await connectionsPerNode(prefix);
  const nodes = CLUSTER_NODES.filter((node) => (counts.get(node) ?? 0) > 0).map((node) => node.name);
  return cutConnections(config.cutScope, prefix, nodes);
}

async function waitUntil(done: () => boolean | Promise<boolean>, timeoutMs: number, signal: AbortSignal | undefined): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await done()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(250, undefined, { signal });
  }
}

function progressLine(from: number, publisher: SteadyPublisher, services: readonly ServiceHandle[], faults: readonly Fault[]): string {
  const handled = services.map((s) => `${s.name} ${s.uniqueHandled}`).join(', ');
  const confirmed = countConfirmed(publisher.record.confirmedAt);
  return `t=${((Date.now() - from) / 1000).toFixed(0)}s published ${publisher.published}, confirmed ${confirmed}, handled ${handled}, faults ${faults.length}`;
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}
