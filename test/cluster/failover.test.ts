/**
 * A bus on the local three-node cluster (scripts/rabbitmq-cluster.sh) under a
 * steady publish + consume load while nodes are stopped (`rabbitmqctl -n NODE
 * stop_app`): it moves to another node, declares its topology and consumes
 * again there, and no confirmed event is lost. The service queue is a quorum
 * queue: a classic one would live, and die, on one node. The times measured
 * are printed (`failover:` lines) and quoted in the README's "Production
 * deployment".
 */
import { describe, expect, it } from 'vitest';
import { startNode, stopNode } from '../../chaos/cluster.js';
import { SteadyPublisher } from '../../chaos/steady-publisher.js';
import { teardown, uniqueName, waitFor } from '../support/broker.js';
import {
  type ClusterNode,
  clusterBus,
  clusterUrls,
  connectionsNamed,
  expectNoneLost,
  node,
  queueLeader,
  recordStates,
  stopNodeForTest,
  waitForQuorumMembers,
} from '../support/cluster.js';

const DOMAIN = 'load';
const RATE = 200;

/** A bus consuming its own quorum queue, and a steady publisher on it; `handled` holds the seqs handled. */
async function loadedBus(first: ClusterNode, seconds: number, reconnectDelayMs?: number) {
  const connectionName = uniqueName('failover');
  const exchange = uniqueName('failover-x');
  const queue = uniqueName('failover');
  const bus = await clusterBus({
    url: clusterUrls(first),
    exchange,
    queue,
    queueOptions: { type: 'quorum' },
    connectionName,
    ...(reconnectDelayMs === undefined ? {} : { reconnectDelayMs }),
  });
  const handled = new Set<number>();
  const handledAt: number[] = [];
  bus.handle(`${DOMAIN}.*`, (event) => {
    handled.add((event.data as { seq: number }).seq);
    handledAt.push(Date.now());
  });
  await bus.ready();
  const publisher = new SteadyPublisher(bus, RATE * seconds, RATE, (seq) => `${queue}-${seq}`, DOMAIN);
  void publisher.run();
  teardown(() => publisher.stop());
  return { bus, queue, connectionName, handled, handledAt, publisher };
}

/** Stops publishing, waits until every publish settled and every confirmed event was handled; asserts none lost. */
async function drainAndCheck(publisher: SteadyPublisher, handled: ReadonlySet<number>): Promise<void> {
  publisher.stop();
  await waitFor(() => publisher.settledCount === publisher.published, { timeoutMs: 40_000, description: 'every publish settled' });
  const { confirmedAt, rejections, rejectionSamples } = publisher.record;
  expect(Object.fromEntries(rejections), rejectionSamples.join('\n')).toEqual({});
  const confirmed = new Set([...confirmedAt.keys()].filter((seq) => !Number.isNaN(confirmedAt[seq])));
  expect(confirmed.size).toBe(publisher.published);
  await waitFor(() => [...confirmed].every((seq) => handled.has(seq)), { timeoutMs: 30_000, description: 'every confirmed event handled' });
  expectNoneLost(confirmed, handled);
}

/** The nodes the bus's connections (publish and consume) are on. */
async function nodesOf(connectionName: string): Promise<number[]> {
  const connections = await connectionsNamed(connectionName);
  return [...new Set(connections.map((c) => c.port))].sort();
}

/** The longest pause between two handled events after `from`. */
function longestPause(handledAt: readonly number[], from: number): number {
  const after = handledAt.filter((t) => t >= from);
  let longest = 0;
  for (let i = 1; i < after.length; i++) longest = Math.max(longest, (after[i] as number) - (after[i - 1] as number));
  return longest;
}

/** When a state with `status` first came at or after `from`. */
function firstState(states: ReturnType<typeof recordStates>, status: string, from: number): number | undefined {
  return states.find((s) => s.state.status === status && s.at >= from)?.at;
}

describe('cluster - failover', () => {
  it('cluster - the node a bus is connected to stops under load: the bus moves to another node, state$ returns to connected, no confirmed event is lost', async () => {
    // reconnectDelayMs at its default (1 s): the failover time printed is the one an application gets.
    const { bus, connectionName, handled, handledAt, publisher } = await loadedBus(node(1), 12, 1_000);
    const states = recordStates(bus);
    const healthSeen: string[] = [];
    const watching = bus.health$.subscribe((health) => healthSeen.push(health.status));
    expect(await nodesOf(connectionName)).toEqual([node(1).port]);
    await waitFor(() => handled.size >= RATE, { timeoutMs: 10_000, description: 'the load running' });

    const stopIssuedAt = Date.now();
    await stopNodeForTest(node(1));
    await waitFor(() => lastStatus(states) === 'connected' && firstState(states, 'disconnected', stopIssuedAt) !== undefined, {
      timeoutMs: 20_000,
      description: 'state$ connected again after the disconnect',
    });
    const disconnectedAt = firstState(states, 'disconnected', stopIssuedAt) as number;
    const reconnectedAt = firstState(states, 'connected', disconnectedAt) as number;
    const handledBefore = handled.size;
    await waitFor(() => handled.size > handledBefore + RATE, { timeoutMs: 10_000, description: 'consuming on the new node' });
    const resumedAt = handledAt.find((t) => t >= reconnectedAt) as number;
    const moved = await nodesOf(connectionName);
    expect(moved.length).toBeGreaterThan(0);
    expect(moved).not.toContain(node(1).port);
    // Health rode it out: degraded while reconnecting (within the grace period), up again once consuming on the new node.
    await waitFor(() => bus.health().status === 'up', { timeoutMs: 10_000, description: 'health up again' });
    watching.unsubscribe();
    expect(healthSeen).toContain('degraded');
    expect(healthSeen).not.toContain('down');

    await drainAndCheck(publisher, handled);
    console.info(
      `failover: node stopped under ${RATE}/s: reconnected ${reconnectedAt - disconnectedAt} ms after the disconnect, ` +
        `consuming again after ${resumedAt - disconnectedAt} ms; longest pause between two handled events ` +
        `${longestPause(handledAt, stopIssuedAt)} ms (stop_app itself took ${disconnectedAt - stopIssuedAt} ms to close the connections)`,
    );
  }, 90_000);

  it("cluster - the quorum queue's leader stops: after the election the bus consumes on, without losing a confirmed event", async () => {
    // A first bus declares the queue from rabbit-1, which makes rabbit-1 its leader; the bus under test then connects elsewhere.
    const queue = uniqueName('leader');
    const exchange = uniqueName('leader-x');
    const declaring = await clusterBus({ url: [node(1).url], exchange, queue, queueOptions: { type: 'quorum' } });
    await declaring.close();
    await waitForQuorumMembers(queue);
    const leader = await queueLeader(queue);
    const other = [node(1), node(2), node(3)].find((n) => n !== leader) as ClusterNode;

    const connectionName = uniqueName('leader');
    const bus = await clusterBus({ url: clusterUrls(other), exchange, queue, queueOptions: { type: 'quorum' }, connectionName });
    const states = recordStates(bus);
    const handled = new Set<number>();
    const handledAt: number[] = [];
    bus.handle(`${DOMAIN}.*`, (event) => {
      handled.add((event.data as { seq: number }).seq);
      handledAt.push(Date.now());
    });
    await bus.ready();
    expect(await nodesOf(connectionName)).toEqual([other.port]);
    const publisher = new SteadyPublisher(bus, RATE * 12, RATE, (seq) => `${queue}-${seq}`, DOMAIN);
    void publisher.run();
    teardown(() => publisher.stop());
    await waitFor(() => handled.size >= RATE, { timeoutMs: 10_000, description: 'the load running' });

    const stoppedAt = Date.now();
    await stopNodeForTest(leader);
    const handledBefore = handled.size;
    await waitFor(() => handled.size > handledBefore + RATE, { timeoutMs: 20_000, description: 'consuming after the election' });
    const newLeader = await queueLeader(queue);
    expect(newLeader).not.toBe(leader);

    await drainAndCheck(publisher, handled);
    // The bus's own node never went away: its connections stayed up.
    expect(states.filter((s) => s.state.status === 'disconnected')).toEqual([]);
    console.info(
      `failover: quorum leader ${leader.name} stopped under ${RATE}/s: new leader ${newLeader.name}; ` +
        `longest pause between two handled events ${longestPause(handledAt, stoppedAt)} ms`,
    );
  }, 90_000);

  it('cluster - every node is restarted in turn (a rolling upgrade) under load: no confirmed event is lost', async () => {
    const { bus, queue, connectionName, handled, handledAt, publisher } = await loadedBus(node(1), 120);
    const states = recordStates(bus);
    await waitFor(() => handled.size >= RATE, { timeoutMs: 10_000, description: 'the load running' });
    const pauses: string[] = [];
    for (const target of [node(1), node(2), node(3)]) {
      const before = Date.now();
      teardown(() => startNode(target));
      await stopNode(target);
      await startNode(target);
      await waitForQuorumMembers(queue);
      const handledBefore = handled.size;
      await waitFor(() => handled.size > handledBefore + RATE / 2, { timeoutMs: 20_000, description: `consuming after ${target.name}` });
      pauses.push(`${target.name} ${longestPause(handledAt, before)} ms`);
    }
    await waitFor(() => lastStatus(states) === 'connected', { timeoutMs: 10_000, description: 'state$ connected' });
    // The bus goes round the URLs: off rabbit-1 to rabbit-2, off it to rabbit-3, off it to rabbit-1; each stop took its node.
    expect(states.filter((s) => s.state.status === 'disconnected').length).toBeGreaterThanOrEqual(3);
    expect((await nodesOf(connectionName)).length).toBeGreaterThan(0);

    await drainAndCheck(publisher, handled);
    console.info(`failover: rolling restart under ${RATE}/s, ${publisher.published} events: longest pause per node: ${pauses.join(', ')}`);
  }, 150_000);
});

function lastStatus(states: ReturnType<typeof recordStates>): string | undefined {
  return states.at(-1)?.state.status;
}
