/**
 * Helpers for the cluster tests (test/cluster/): the local three-node cluster
 * of scripts/rabbitmq-cluster.sh, its nodes stopped and started through
 * `rabbitmqctl -n`, buses on its URLs. Every node a test stops is started
 * again when the test finishes, pass or fail; every bus is closed and its
 * queues and exchange deleted. The machine's own broker (5672) is not touched.
 */
import { readFileSync } from 'node:fs';
import amqplib from 'amqplib';
import { expect } from 'vitest';
import { amqpAnswers, type ClusterNode, CLUSTER_NODES, CLUSTER_TLS, nodeCtl, queueLeaders, startNode, stopNode } from '../../chaos/cluster.js';
import { type ConnectionState, EventBus, type EventBusOptions } from '../../src/index.js';
import { teardown, uniqueName, waitFor } from './broker.js';

export { CLUSTER_NODES, CLUSTER_TLS, type ClusterNode, nodeCtl };

const CONNECT_TIMEOUT_MS = 5_000;
/** Bounds for every bus a cluster test opens; a node loss takes seconds, not the 30 s defaults. */
const TEST_DEFAULTS = { handlerTimeoutMs: 5_000, publishTimeoutMs: 30_000, connectTimeoutMs: 10_000, reconnectDelayMs: 250 } as const;

/** The nodes' AMQP URLs, starting with `first` (default: rabbit-1). */
export function clusterUrls(first: ClusterNode = node(1)): string[] {
  const at = CLUSTER_NODES.indexOf(first);
  return [...CLUSTER_NODES.slice(at), ...CLUSTER_NODES.slice(0, at)].map((n) => n.url);
}

/** Node `n` (1, 2 or 3). */
export function node(n: 1 | 2 | 3): ClusterNode {
  return CLUSTER_NODES[n - 1] as ClusterNode;
}

/** The node whose AMQP port a connected state names. */
export function nodeOf(state: ConnectionState): ClusterNode | undefined {
  if (state.status !== 'connected') return undefined;
  const port = Number(new URL(state.url).port);
  return CLUSTER_NODES.find((n) => n.port === port);
}

/** A test CA, certificate or key of scripts/tls-certs.sh: `tlsFile('ca.pem')`. */
export function tlsFile(name: string): Buffer {
  return readFileSync(`${CLUSTER_TLS.dir}/${name}`);
}

/** Stops the node's application; it is started again when the test finishes (if the test has not). */
export async function stopNodeForTest(target: ClusterNode): Promise<void> {
  teardown(() => startNode(target));
  await stopNode(target);
}

/**
 * Waits until the quorum queue (or stream) has a leader and every member
 * online: after a node came back, the next one may only be stopped once the
 * queue is whole again (what `rabbitmq-upgrade await_online_quorum_plus_one`
 * waits for in a rolling upgrade).
 */
export async function waitForQuorumMembers(queue: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      const via = await runningNode();
      const stdout = await nodeCtl(via, 'list_queues', 'name', 'leader', 'online', 'members', '--formatter', 'json');
      const row = (JSON.parse(stdout) as { name: string; leader?: string; online?: string[]; members?: string[] }[]).find(
        (r) => r.name === queue,
      );
      return row?.leader !== undefined && row.leader !== '' && row.online?.length === CLUSTER_NODES.length;
    },
    { timeoutMs, intervalMs: 500, description: `every member of quorum queue ${queue} online` },
  );
}

/** The node leading the quorum queue (or stream). */
export async function queueLeader(queue: string): Promise<ClusterNode> {
  const name = (await queueLeaders(await runningNode(), [queue])).get(queue);
  const leader = CLUSTER_NODES.find((n) => n.name === name);
  if (!leader) throw new Error(`quorum queue ${queue} has no leader among the cluster's nodes (got ${String(name)})`);
  return leader;
}

/** What `list_connections` says of the connections whose client-given name starts with `prefix`. */
export async function connectionsNamed(prefix: string): Promise<{ name: string; port: number; user: string; authMechanism: string }[]> {
  const stdout = await nodeCtl(
    await runningNode(),
    'list_connections',
    'client_properties',
    'port',
    'user',
    'auth_mechanism',
    '--formatter',
    'json',
  );
  const rows = JSON.parse(stdout) as {
    client_properties: [string, string, unknown][];
    port: number;
    user: string;
    auth_mechanism: string;
  }[];
  return rows.flatMap((row) => {
    const name = row.client_properties.find(([key]) => key === 'connection_name')?.[2];
    return typeof name === 'string' && name.startsWith(prefix)
      ? [{ name, port: row.port, user: row.user, authMechanism: row.auth_mechanism }]
      : [];
  });
}

/**
 * `EventBus.connect` on the cluster with test bounds (and a unique connection
 * name, for {@link connectionsNamed}); closed when the test finishes, then its
 * queue, `queue.dlq` and exchange are deleted.
 */
export async function clusterBus(options: Partial<EventBusOptions> & { url: string | readonly string[] }): Promise<EventBus> {
  deleteAfterTest(options.queue === undefined ? [] : [options.queue, `${options.queue}.dlq`], options.exchange);
  const bus = await EventBus.connect({ connectionName: uniqueName('cluster'), ...TEST_DEFAULTS, ...options });
  teardown(() => bus.close({ timeoutMs: 10_000 }));
  return bus;
}

/** Records every state$ change of `bus`, with when it came. */
export function recordStates(bus: EventBus): { readonly state: ConnectionState; readonly at: number }[] {
  const states: { state: ConnectionState; at: number }[] = [];
  const subscription = bus.state$.subscribe((state) => states.push({ state, at: Date.now() }));
  teardown(() => subscription.unsubscribe());
  return states;
}

/** Asserts that no confirmed sequence number is missing from `handled`; returns how many were confirmed. */
export function expectNoneLost(confirmed: ReadonlySet<number>, handled: ReadonlySet<number>): void {
  const lost = [...confirmed].filter((seq) => !handled.has(seq));
  expect(lost.slice(0, 20), `${lost.length} of ${confirmed.size} confirmed events never handled`).toEqual([]);
}

async function runningNode(): Promise<ClusterNode> {
  for (const candidate of CLUSTER_NODES) {
    if (await amqpAnswers(candidate.url)) return candidate;
  }
  throw new Error('no node of the cluster answers');
}

/** Deletes the queues and the exchange on the cluster when the test finishes (missing ones are fine). */
export function deleteAfterTest(queues: readonly string[], exchange?: string): void {
  teardown(async () => {
    const connection = await amqplib.connect((await runningNode()).url, { timeout: CONNECT_TIMEOUT_MS });
    connection.on('error', () => {});
    try {
      const channel = await connection.createChannel();
      channel.on('error', () => {});
      for (const name of queues) await channel.deleteQueue(name);
      if (exchange !== undefined) await channel.deleteExchange(exchange);
    } finally {
      await connection.close().catch(() => undefined);
    }
  });
}
