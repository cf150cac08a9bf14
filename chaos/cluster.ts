/**
 * The local three-node test cluster, as scripts/rabbitmq-cluster.sh starts it
 * (keep the two in step), and what the chaos run and the cluster tests do to
 * it: stop and start a node's application, cut its connections, ask it
 * things, all through `rabbitmqctl -n NODE`. The machine's own broker
 * (rabbit@localhost, 5672) is never touched.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
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

/** Closes every client connection on each node given (all vhosts), the nodes side by side. */
export async function cutConnections(nodes: readonly ClusterNode[], reason: string): Promise<void> {
  await Promise.all(nodes.map((node) => nodeCtl(node, 'close_all_connections', '--global', reason)));
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
