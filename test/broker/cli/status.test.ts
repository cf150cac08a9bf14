import { describe, expect, it } from 'vitest';
import { amqpUrl, deleteQueues, rabbitmqctl, rawChannel, rawConnection, teardown, uniqueName, waitFor } from '../../support/broker.js';
import { runCli, startCli } from '../../support/cli.js';

interface StatusLine {
  time: string;
  queues: {
    name: string;
    role: string;
    exists: boolean;
    messages: number | null;
    consumers: number | null;
    ratePerSecond: number | null;
  }[];
}

/** Q, Q.dlq and Q.retry.600000 (as a bus lays them out) holding `depths` messages, deleted when the test finishes. */
async function serviceQueues(depths: { queue: number; dlq: number; retry: number }): Promise<string> {
  const queue = uniqueName('cli-status');
  const retry = `${queue}.retry.600000`;
  teardown(() => deleteQueues(queue, `${queue}.dlq`, retry));
  const connection = await rawConnection();
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue(queue, { arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': `${queue}.dlq` } });
  await channel.assertQueue(`${queue}.dlq`);
  await channel.assertQueue(retry, {
    arguments: { 'x-message-ttl': 600_000, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
  });
  const fill = (name: string, count: number) => Array.from({ length: count }, () => channel.sendToQueue(name, Buffer.from('{}')));
  fill(queue, depths.queue);
  fill(`${queue}.dlq`, depths.dlq);
  fill(retry, depths.retry);
  await channel.waitForConfirms();
  return queue;
}

/** What rabbitmqctl says: ready messages and consumers, by queue. */
async function brokerCounts(names: readonly string[]): Promise<Record<string, [number, number]>> {
  const rows = JSON.parse(await rabbitmqctl('list_queues', 'name', 'messages_ready', 'consumers', '--formatter', 'json', '--quiet')) as {
    name: string;
    messages_ready: number;
    consumers: number;
  }[];
  return Object.fromEntries(rows.filter((row) => names.includes(row.name)).map((row) => [row.name, [row.messages_ready, row.consumers]]));
}

describe('cli status (amqp)', () => {
  it('cli status - depth and consumers of Q, Q.dlq and each Q.retry.<ms> match the broker; an absent delay queue says so', async () => {
    const queue = await serviceQueues({ queue: 3, dlq: 2, retry: 1 });
    // A consumer holding one unacked message: Q has 2 ready and 1 consumer.
    const consumer = await rawChannel();
    await consumer.prefetch(1);
    let held = 0;
    await consumer.consume(queue, () => held++);
    await waitFor(() => held === 1, { description: 'the consumer to hold one message' });

    const { code, stdout } = await runCli([
      'status',
      '--queue',
      queue,
      '--retry-delays',
      '600000,5000',
      '--json',
      '--interval',
      '100',
      '--url',
      amqpUrl(),
    ]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const { queues } = JSON.parse(lines[0] ?? '') as StatusLine;
    expect(queues.map(({ name, role, exists }) => [name, role, exists])).toEqual([
      [queue, 'queue', true],
      [`${queue}.dlq`, 'dead letters', true],
      [`${queue}.retry.5000`, 'retry 5000 ms', false],
      [`${queue}.retry.600000`, 'retry 600000 ms', true],
    ]);
    const shown = Object.fromEntries(queues.filter((q) => q.exists).map((q) => [q.name, [q.messages, q.consumers]]));
    expect(shown).toEqual({ [queue]: [2, 1], [`${queue}.dlq`]: [2, 0], [`${queue}.retry.600000`]: [1, 0] });
    expect(shown).toEqual(await brokerCounts(Object.keys(shown)));
    expect(queues.map((q) => q.ratePerSecond)).toEqual([0, 0, null, 0]);
  });

  it('cli status - the table: one row per queue, no escape codes when piped', async () => {
    const queue = await serviceQueues({ queue: 4, dlq: 0, retry: 0 });
    const { code, stdout } = await runCli(['status', '--queue', queue, '--interval', '50', '--url', amqpUrl()]);
    expect(code).toBe(0);
    expect(stdout).not.toContain('\u001b[');
    expect(stdout).toMatch(new RegExp(`│ ${queue} +│ queue +│ 4 +│ 0 +│ 0 +│`));
    expect(stdout).toMatch(new RegExp(`│ ${queue}\\.dlq +│ dead letters +│ 0 +│ 0 +│ 0 +│`));
  });

  it('cli status - --watch samples until SIGINT (exit 0); the rate is the change of depth per second between samples', async () => {
    const queue = await serviceQueues({ queue: 0, dlq: 0, retry: 0 });
    const watch = startCli(['status', '--queue', queue, '--watch', '--json', '--interval', '500', '--url', amqpUrl()], {
      timeoutMs: 30_000,
    });
    await watch.waitForOutput(/"ratePerSecond":null/);
    const channel = await (await rawConnection()).createConfirmChannel();
    for (let i = 0; i < 20; i++) channel.sendToQueue(queue, Buffer.from('{}'));
    await channel.waitForConfirms();
    await watch.waitForOutput(/"messages":20,"consumers":0,"ratePerSecond":[1-9]/);
    const { code, stdout } = await watch.stop('SIGINT');
    expect(code).toBe(0);
    const samples = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as StatusLine);
    const grew = samples.find((sample) => (sample.queues[0]?.ratePerSecond ?? 0) > 0);
    const before = samples[samples.indexOf(grew as StatusLine) - 1];
    const seconds = (Date.parse(grew?.time ?? '') - Date.parse(before?.time ?? '')) / 1000;
    // Within 10%: the rate is timed by the probes, `time` by the printing, a few ms apart.
    expect(Math.abs((grew?.queues[0]?.ratePerSecond ?? 0) - 20 / seconds)).toBeLessThan((20 / seconds) * 0.1);
  }, 40_000);

  it('cli status - a queue that does not exist is a failure (exit 1)', async () => {
    const { code, stderr } = await runCli(['status', '--queue', uniqueName('cli-nope'), '--url', amqpUrl()]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/does not exist on the broker: check --queue.*\[TOPOLOGY_FAILED\]/);
  });
});
