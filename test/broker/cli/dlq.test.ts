import { describe, expect, it } from 'vitest';
import { createEvent, type Event } from '../../../src/index.js';
import { brokerView, connectBus, names, waitFor, waitForDepth } from '../../support/bus.js';
import { amqpUrl, rabbitmqctl } from '../../support/broker.js';
import { runCli, startCli } from '../../support/cli.js';
import { fillDeadLetters, openDeadLetters } from '../../support/dead-letters.js';

interface GroupLine {
  key: string;
  count: number;
}
interface StatsLine {
  queue: string;
  total: number;
  examined: number;
  byError: GroupLine[];
  byPattern: GroupLine[];
  byRoutingKey: GroupLine[];
}

const counts = (groups: readonly GroupLine[]): [string, number][] => groups.map(({ key, count }) => [key, count]);
const lines = (stdout: string): Record<string, unknown>[] =>
  stdout
    .trimEnd()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** `rx-pubsub dlq <args> --queue Q --url <broker>`. */
function dlq(queue: string, ...args: string[]) {
  return runCli(['dlq', ...args, '--queue', queue, '--url', amqpUrl()], { timeoutMs: 30_000 });
}

/** Ready messages by rabbitmqctl, once it reports `expected` for `queue` (its counts lag a few seconds). */
async function rabbitmqctlReady(queue: string, expected: number): Promise<number> {
  let ready = -1;
  await waitFor(
    async () => {
      const rows = JSON.parse(await rabbitmqctl('list_queues', 'name', 'messages_ready', '--formatter', 'json', '--quiet')) as {
        name: string;
        messages_ready: number;
      }[];
      ready = rows.find((row) => row.name === queue)?.messages_ready ?? -1;
      return ready === expected;
    },
    { timeoutMs: 20_000, intervalMs: 500, description: `rabbitmqctl to report ${expected} ready in ${queue}` },
  );
  return ready;
}

/**
 * A bus (default topology: Q and a quorum Q.dlq) whose handlers fail: `order.created` (5 events, "db down"),
 * `order.paid` (4, "payment declined"), `*.shipped` (3, "carrier timeout"); resolves once all 12 are in Q.dlq.
 */
async function failingService(prefix: string) {
  const url = amqpUrl();
  const { exchange, queue } = names(prefix);
  const bus = await connectBus({ url, exchange, queue });
  bus.handle('order.created', () => Promise.reject(new Error('db down')));
  bus.handle('order.paid', () => Promise.reject(new Error('payment declined')));
  bus.handle('*.shipped', () => Promise.reject(new Error('carrier timeout')));
  await bus.ready();
  const events: Event[] = [];
  for (const [action, count] of [
    ['created', 5],
    ['paid', 4],
    ['shipped', 3],
  ] as const) {
    for (let i = 0; i < count; i++) events.push(createEvent({ domain: 'order', action, data: { n: events.length } }));
  }
  for (const event of events) await bus.publish(event);
  const view = await brokerView(url);
  await waitForDepth(view, `${queue}.dlq`, 12);
  return { url, queue, exchange, bus, view, events, api: openDeadLetters({ url, queue, exchange }) };
}

describe('cli dlq (amqp)', () => {
  it('cli dlq stats - a Q.dlq filled by failing handlers is grouped by error, pattern and routing key; the total is what rabbitmqctl counts', async () => {
    const { queue } = await failingService('cli-dlq-stats');
    const ready = await rabbitmqctlReady(`${queue}.dlq`, 12);

    const json = await dlq(queue, 'stats', '--json');
    expect(json.code).toBe(0);
    const [stats] = lines(json.stdout) as unknown as StatsLine[];
    expect(stats).toMatchObject({ queue: `${queue}.dlq`, total: ready, examined: ready });
    expect(counts(stats?.byError ?? [])).toEqual([
      ['order.created: db down', 5],
      ['order.paid: payment declined', 4],
      ['*.shipped: carrier timeout', 3],
    ]);
    expect(counts(stats?.byPattern ?? [])).toEqual([
      ['order.created', 5],
      ['order.paid', 4],
      ['*.shipped', 3],
    ]);
    expect(counts(stats?.byRoutingKey ?? [])).toEqual([
      ['order.created', 5],
      ['order.paid', 4],
      ['order.shipped', 3],
    ]);

    const filtered = lines((await dlq(queue, 'stats', '--json', '--routing-key', 'order.{created,paid}', '--since', '1h')).stdout)[0];
    expect(filtered).toMatchObject({ total: 9, examined: 12 });
    const table = await dlq(queue, 'stats');
    expect(table.stdout).toMatch(/^.*\.dlq: 12 dead letters, failed from \S+Z to \S+Z\n/);
    expect(table.stdout).toMatch(/│ 5 +│ order\.created: db down +│ \d+s ago │ \d+s ago │/);
    expect(table.stdout).toMatch(/│ 3 +│ order\.shipped +│/);
    // Read four times, given back each time: still 12, for the broker too.
    expect(await rabbitmqctlReady(`${queue}.dlq`, 12)).toBe(12);
  }, 60_000);

  it('cli dlq ls and show - NDJSON one entry per line, head first; a table; one entry in full (history, headers, body)', async () => {
    const { queue, events, api } = await failingService('cli-dlq-ls');
    const inQueue = (await api.peek()).map((entry) => entry.messageId);

    const all = await dlq(queue, 'ls', '--json');
    expect(all.code).toBe(0);
    const records = lines(all.stdout);
    expect(records.map((record) => record.messageId)).toEqual(inQueue);
    expect(records.map((record) => record.position)).toEqual([...Array(12).keys()]);
    const paid = records.find((record) => record.routingKey === 'order.paid');
    expect(paid).toMatchObject({ source: 'rx-pubsub', error: 'order.paid: payment declined', patterns: ['order.paid'], attempts: 1 });
    expect(paid?.event).toEqual(events.find((event) => event.id === paid?.messageId));

    const two = lines((await dlq(queue, 'ls', '--json', '--error', 'payment', '--limit', '2')).stdout);
    expect(two.map((record) => record.messageId)).toEqual(
      records
        .filter((r) => r.routingKey === 'order.paid')
        .slice(0, 2)
        .map((r) => r.messageId),
    );
    const table = await dlq(queue, 'ls', '--limit', '3');
    expect(table.stdout).toContain(`│ 0 │ ${String(inQueue[0])} │`);
    expect(table.stdout.match(/│ \d+ +│ [0-9a-f-]{36} │/g)).toHaveLength(3);
    expect(table.stderr).toContain('the first 3; --limit shows more');

    const id = String(paid?.messageId);
    const full = lines((await dlq(queue, 'show', id, '--json')).stdout)[0];
    expect(full).toMatchObject({ messageId: id, history: ['1: order.paid: payment declined'] });
    expect((full?.headers as Record<string, unknown>)['rx-pubsub-error']).toBe('order.paid: payment declined');
    expect(JSON.parse(String(full?.body))).toEqual(paid?.event);
    const shown = await dlq(queue, 'show', id);
    expect(shown.stdout).toMatch(new RegExp(`^id +${id}\\n`));
    expect(shown.stdout).toContain('history\n  1: order.paid: payment declined\nheaders\n');
    expect(shown.stdout).toContain('"action": "paid"');
    const missing = await dlq(queue, 'show', 'no-such-id');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: no dead letter with message id no-such-id in .*\.dlq \[INVALID_ARGUMENT\]\n$/);
    expect((await api.peek()).map((entry) => entry.messageId)).toEqual(inQueue);
  }, 60_000);

  it('cli dlq purge - a filter removes only the matching dead letters; the others stay, in order', async () => {
    const { queue, api } = await failingService('cli-dlq-purge');
    const before = await api.peek();

    const purged = await dlq(queue, 'purge', '--error', 'carrier', '--yes', '--json');
    expect(purged.code).toBe(0);
    expect(lines(purged.stdout)[0]).toMatchObject({ purged: 3, kept: 9 });
    const left = (await api.peek()).map((entry) => entry.messageId);
    expect(left).toEqual(before.filter((entry) => entry.routingKey !== 'order.shipped').map((entry) => entry.messageId));
    const text = await dlq(queue, 'purge', '--routing-key', 'order.paid', '--yes');
    expect(text.stdout).toMatch(/^purged 4 from .*\.dlq, kept 5 \(not matching\) in \d+/);
  }, 60_000);

  it('cli dlq --dry-run - replay and purge say what they would touch and change nothing; without --yes and no terminal, exit 2', async () => {
    const { queue, view, api } = await failingService('cli-dlq-dry');
    const before = (await api.peek()).map((entry) => entry.messageId);

    const replay = await dlq(queue, 'replay', '--error', 'db down|payment', '--dry-run', '--json');
    expect(replay.code).toBe(0);
    expect(lines(replay.stdout)[0]).toMatchObject({ dryRun: true, operation: 'replay', count: 9, to: `queue ${queue}` });
    const limited = await dlq(queue, 'purge', '--dry-run', '--limit', '2');
    expect(limited.stdout).toMatch(/^dry run: would purge 2 dead letters of .*\.dlq; nothing changed\n/);
    for (const command of ['replay', 'purge']) {
      const refused = await dlq(queue, command);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`dlq ${command} changes the queues: add --yes`);
    }
    expect((await api.peek()).map((entry) => entry.messageId)).toEqual(before);
    expect(await view.depth(queue)).toBe(0);
  }, 60_000);

  it('cli dlq replay - 5,000 dead letters, SIGKILLed part-way then run again: each handled at least once by the bus, Q.dlq empty, duplicates ≤ the window', async () => {
    const url = amqpUrl();
    const { exchange, queue } = names('cli-dlq-kill');
    const bus = await connectBus({ url, exchange, queue });
    const handled: string[] = [];
    bus.handle('order.*', (event) => void handled.push(event.id));
    await bus.ready();
    // Filled as a bus fills it (our dead-letter headers), but fast: raw publishes with confirm.
    const events = await fillDeadLetters(url, `${queue}.dlq`, 5_000);
    const view = await brokerView(url);

    const first = startCli(['dlq', 'replay', '--queue', queue, '--yes', '--json', '--url', url], { timeoutMs: 60_000 });
    await waitFor(() => handled.length >= 500, { timeoutMs: 30_000, intervalMs: 2, description: '500 replayed and handled' });
    const killed = await first.stop('SIGKILL');
    expect(killed.code, 'the replay should have been killed, not finished').toBeNull();
    // The broker gives back what the killed connection held: every event is handled, or back in Q.dlq.
    await waitFor(async () => new Set(handled).size + (await view.depth(`${queue}.dlq`)) >= 5_000, {
      timeoutMs: 20_000,
      description: 'every dead letter handled or back in Q.dlq',
    });
    // 500 copies handled: at most 100 (the window) of them not yet removed from Q.dlq.
    const left = await view.depth(`${queue}.dlq`);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(4_600);

    const second = await runCli(['dlq', 'replay', '--queue', queue, '--yes', '--json', '--url', url], { timeoutMs: 60_000 });
    expect(second.code).toBe(0);
    expect(lines(second.stdout)[0]).toMatchObject({ replayed: left, skipped: 0, failed: 0, total: left });
    await waitFor(() => new Set(handled).size === 5_000, { timeoutMs: 30_000, description: 'all 5,000 handled' });
    expect(new Set(handled)).toEqual(new Set(events.map((event) => event.id)));
    expect(await view.depth(`${queue}.dlq`)).toBe(0);
    expect(handled.length - 5_000).toBeLessThanOrEqual(100);
  }, 120_000);
});
