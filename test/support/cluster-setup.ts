import { connect as tcpConnect } from 'node:net';
import amqplib from 'amqplib';
import { CLUSTER_NODES, CLUSTER_SCRIPT, CLUSTER_TLS, nodeCtl, startCluster } from '../../chaos/cluster.js';

const CONNECT_TIMEOUT_MS = 2_000;

/**
 * Vitest global setup of the `cluster` project: makes sure the local
 * three-node cluster (scripts/rabbitmq-cluster.sh) runs, clustered, with its
 * TLS listeners, starting it when it does not (about 30 s from nothing; the
 * script is idempotent and bounded). It never skips: a cluster that cannot
 * start fails the run with the script's output. The cluster is left running
 * afterwards, so that the next run starts at once: `scripts/rabbitmq-cluster.sh
 * stop` shuts it down and deletes its data.
 */
export default async function setup(): Promise<void> {
  if (await clusterIsUp()) return;
  console.info(`The local RabbitMQ cluster is not (fully) up: starting it with \`${CLUSTER_SCRIPT} start\`...`);
  const started = Date.now();
  try {
    await startCluster();
  } catch (error) {
    throw new Error(
      `The cluster tests need the local three-node cluster, and \`${CLUSTER_SCRIPT} start\` failed ` +
        `(it needs a local RabbitMQ installation and root or the rabbitmq user):\n${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (!(await clusterIsUp())) throw new Error(`\`${CLUSTER_SCRIPT} start\` finished, but the cluster does not answer as it should`);
  console.info(`Cluster started in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
}

/** Every node's AMQP and TLS ports answer, and every node runs in one cluster. */
async function clusterIsUp(): Promise<boolean> {
  const ports = [CLUSTER_TLS.port, CLUSTER_TLS.mutualPort, CLUSTER_TLS.expiredPort];
  const answers = await Promise.all([...CLUSTER_NODES.map((node) => amqpAnswers(node.url)), ...ports.map(portListens)]);
  if (answers.includes(false)) return false;
  const [first] = CLUSTER_NODES;
  if (first === undefined) return false;
  try {
    const status = JSON.parse(await nodeCtl(first, 'cluster_status', '--formatter', 'json')) as { running_nodes?: string[] };
    return CLUSTER_NODES.every((node) => status.running_nodes?.includes(node.name) === true);
  } catch {
    return false;
  }
}

async function amqpAnswers(url: string): Promise<boolean> {
  try {
    const connection = await amqplib.connect(url, { timeout: CONNECT_TIMEOUT_MS });
    connection.on('error', () => {});
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
