import { CLUSTER_SCRIPT, clusterIsUp, startCluster } from '../../chaos/cluster.js';

/**
 * Vitest global setup of the `cluster` project: makes sure the local
 * three-node cluster (scripts/rabbitmq-cluster.sh) runs, clustered, with its
 * TLS listeners, starting it when it does not (30-60 s from nothing; the
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
