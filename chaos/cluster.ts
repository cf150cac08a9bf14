/**
 * The local three-node test cluster, as scripts/rabbitmq-cluster.sh starts it
 * (keep the two in step), and what the chaos run and the cluster tests do to
 * it: stop and start a node's application, ask it things, all through
 * `rabbitmqctl -n NODE`. The machine's own broker
 * (rabbit@localhost, 5672) is never touched.
 */
import { execFile } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import amqplib from 'amqplib';
import type { Fault } from './faults.js';

const run = promisify(execFile);
const CONNECT_TIMEOUT_MS = 2_000;
const RABBITMQCTL_TIMEOUT_MS = 120_000;
const START_TIMEOUT_MS = 300_000;

/** The cluster script: `start` is idempotent (starts what is down, joins what is not clustered). */
export const CLUSTER_SCRIPT = fileURLToPath(new URL('../scripts/rabbitmq-cluster.sh', import.meta.url));

/** One node of the local cluster. */
export interface ClusterNode {
  /** Erlang node name, for `rabbitmqctl -n`. */
  readonly name: string;
  /** Plain AMQP port on 127.0.0.1. */
  readonly port: number;
  /** `amqp://guest:guest@127.0.0.1:PORT` (guest may log in over the loopback interface). */
  readonly url: string;
}

export const CLUSTER_NODES: readonly ClusterNode[] = [1, 2, 3].map((n) => ({
  name: `rabbit-${n}@localhost`,
  port: 5680 + n,
  url: `amqp://guest:guest@127.0.0.1:${5680 + n}`,
}));

/** The TLS listeners and test certificates (scripts/tls-certs.sh). */
export const CLUSTER_TLS = {
  /** PEM files: ca, server, client, expired, other-ca (`.pem` and `.key`). */
  dir: `${process.env.RX_PUBSUB_CLUSTER_DIR ?? '/tmp/rx-pubsub-cluster'}/tls`,
  /** rabbit-1: the `localhost` certificate; a client certificate is verified when given, not required. */
  port: 5671,
  /** rabbit-2: the `localhost` certificate; a client certificate is required (mutual TLS). */
  mutualPort: 5692,
  /** rabbit-3: an expired certificate. */
  expiredPort: 5693,
  /** The user the client certificate's CN logs in as over EXTERNAL (`ssl_cert_login_from = common_name`). */
  externalUser: 'rx-pubsub-client',
} as const;

/** `rabbitmqctl -n <node> <args>`, its stdout. */
export async function nodeCtl(node: ClusterNode, ...args: string[]): Promise<string> {
  return cli('rabbitmqctl', ['-q', '-n', node.name, ...args]);
}

/** Stops the node's RabbitMQ application (its Erlang VM stays up): every connection to it is closed. */
export async function stopNode(node: ClusterNode): Promise<void> {
  await nodeCtl(node, 'stop_app');
}

/** Starts the node's application again (a no-op when it runs) and waits until it has booted. */
export async function startNode(node: ClusterNode): Promise<void> {
  await nodeCtl(node, 'start_app');
  await nodeCtl(node, 'await_startup');
}

/** A chaos fault: stops the node's application for `downMs`, then starts it again. Always tries to start it. */
export async function restartNode(node: ClusterNode, downMs: number): Promise<Fault> {
  const startedAt = Date.now();
  let stoppedAt = startedAt;
  try {
    await stopNode(node);
    stoppedAt = Date.now();
    await sleep(downMs);
  } finally {
    await startNode(node);
  }
  return { kind: 'node-stop', node: node.name, startedAt, stoppedAt, endedAt: Date.now() };
}

/** How many of the run's connections (those named `prefix...`) each node holds. */
export async function connectionsPerNode(prefix: string): Promise<Map<ClusterNode, number>> {
  const rows = JSON.parse(
    await nodeCtl(CLUSTER_NODES[0] as ClusterNode, 'list_connections', 'client_properties', 'port', '--formatter', 'json'),
  ) as {
    client_properties?: [string, string, unknown][];
    port?: number;
  }[];
  const counts = new Map(CLUSTER_NODES.map((node) => [node, 0]));
  for (const row of rows) {
    const name = row.client_properties?.find(([key]) => key === 'connection_name')?.[2];
    const node = CLUSTER_NODES.find((n) => n.port === row.port);
    if (node && typeof name === 'string' && name.startsWith(prefix)) counts.set(node, (counts.get(node) ?? 0) + 1);
  }
  return counts;
}

/** Starts every node's application that is stopped (a no-op on the running ones): the last word of a cluster run. */
export async function ensureNodesStarted(): Promise<void> {
  await Promise.all(CLUSTER_NODES.map((node) => startNode(node)));
}

/** Every node's AMQP and TLS ports answer, and every node runs in one cluster. */
export async function clusterIsUp(): Promise<boolean> {
  const ports = [CLUSTER_TLS.port, CLUSTER_TLS.mutualPort, CLUSTER_TLS.expiredPort];
  const answers = await Promise.all([...CLUSTER_NODES.map((node) => amqpAnswers(node.url)), ...ports.map(portListens)]);
  if (answers.includes(false)) return false;
  try {
    const status = JSON.parse(await nodeCtl(CLUSTER_NODES[0] as ClusterNode, 'cluster_status', '--formatter', 'json')) as {
      running_nodes?: string[];
    };
    return CLUSTER_NODES.every((node) => status.running_nodes?.includes(node.name) === true);
  } catch {
    return false;
  }
}

/** Whether an AMQP login on `url` succeeds (within 2 s). */
export async function amqpAnswers(url: string): Promise<boolean> {
  try {
    const connection = await amqplib.connect(url, { timeout: CONNECT_TIMEOUT_MS });
    connection.on('error', () => undefined);
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

function portListens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port, timeout: CONNECT_TIMEOUT_MS });
    const done = (listening: boolean): void => {
      socket.destroy();
      resolve(listening);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** Starts the cluster (or whatever part of it is down) with the cluster script; its output on failure. */
export async function startCluster(): Promise<void> {
  await cli(CLUSTER_SCRIPT, ['start'], START_TIMEOUT_MS);
}

/** The name of the node that leads each quorum queue named, as `list_queues name leader` reports it. */
export async function queueLeaders(via: ClusterNode, names: readonly string[]): Promise<Map<string, string>> {
  const stdout = await nodeCtl(via, 'list_queues', 'name', 'leader', '--formatter', 'json');
  const rows = JSON.parse(stdout) as { name: string; leader?: string }[];
  const wanted = new Set(names);
  return new Map(
    rows.filter((row) => wanted.has(row.name) && typeof row.leader === 'string').map((row) => [row.name, row.leader as string]),
  );
}

async function cli(command: string, args: readonly string[], timeout = RABBITMQCTL_TIMEOUT_MS): Promise<string> {
  try {
    return (await run(command, args, { timeout })).stdout;
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: unknown; stdout?: unknown };
    const output = [stdout, stderr].filter((text): text is string => typeof text === 'string' && text.trim() !== '').join('\n');
    throw new Error(`\`${command} ${args.join(' ')}\` failed: ${output.trim() || String(error)}`, { cause: error });
  }
}
