import { describe, expect, it } from 'vitest';
import { amqpUrl, deleteExchange, deleteQueues, rawChannel, teardown, uniqueName } from '../../support/broker.js';
import { runCli } from '../../support/cli.js';
import { bindingsOf, managementUrl } from '../../support/management.js';

/** A queue bound to exchange X with `keys`, and to another exchange Y with order.#; all deleted when the test finishes. */
async function boundQueue(keys: readonly string[]): Promise<{ queue: string; exchange: string; other: string }> {
  const queue = uniqueName('cli-bind');
  const exchange = uniqueName('cli-bind-x');
  const other = uniqueName('cli-bind-y');
  teardown(async () => {
    await deleteQueues(queue);
    await deleteExchange(exchange);
    await deleteExchange(other);
  });
  const channel = await rawChannel();
  await channel.assertExchange(exchange, 'topic');
  await channel.assertExchange(other, 'topic');
  await channel.assertQueue(queue);
  for (const key of keys) await channel.bindQueue(queue, exchange, key);
  await channel.bindQueue(queue, other, 'order.#');
  return { queue, exchange, other };
}

const run = (args: string[]) => runCli(['bindings', ...args, '--url', amqpUrl(), '--management-url', managementUrl()]);

describe('cli bindings (amqp, management API)', () => {
  it('cli bindings - lists the bindings of the queue from the exchange (NDJSON with --json)', async () => {
    const { queue, exchange } = await boundQueue(['order.#', 'user.#']);
    const { code, stdout } = await run(['--queue', queue, '--exchange', exchange, '--json']);
    expect(code).toBe(0);
    const records = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(records).toEqual([
      { exchange, queue, routingKey: 'order.#', arguments: {} },
      { exchange, queue, routingKey: 'user.#', arguments: {} },
    ]);
  });

  it('cli bindings - --prune removes exactly the bindings no kept pattern needs, from that exchange only', async () => {
    const { queue, exchange, other } = await boundQueue(['order.#', 'user.#', '#.created', 'legacy.key', 'order.paid']);
    const { code, stdout, stderr } = await run(['--queue', queue, '--exchange', exchange, '--keep', 'order.*', '*.created', '--prune']);
    expect(code).toBe(0);
    expect(stderr).toBe('bindings: removed 3 of 5\n');
    expect(stdout).toMatch(/│ legacy\.key +│ - +│ removed │/);
    expect(stdout).toMatch(/│ order\.# +│ order\.\* +│ keep +│/);
    expect(await bindingsOf(queue)).toEqual(
      [
        { exchange, routingKey: '#.created' },
        { exchange, routingKey: 'order.#' },
        { exchange: other, routingKey: 'order.#' },
      ].sort((a, b) => `${a.exchange} ${a.routingKey}`.localeCompare(`${b.exchange} ${b.routingKey}`)),
    );
  });

  it('cli bindings - --keep without --prune says what would go and removes nothing', async () => {
    const { queue, exchange } = await boundQueue(['order.#', 'user.#']);
    const before = await bindingsOf(queue);
    const { code, stdout, stderr } = await run(['--queue', queue, '--exchange', exchange, '--keep', 'order.*', '--json']);
    expect(code).toBe(0);
    expect(stderr).toBe('bindings: 1 of 2 not needed (add --prune to remove them)\n');
    expect(
      stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { routingKey: string; neededBy: string[]; removed: boolean }),
    ).toEqual([
      expect.objectContaining({ routingKey: 'order.#', neededBy: ['order.*'], removed: false }),
      expect.objectContaining({ routingKey: 'user.#', neededBy: [], removed: false }),
    ]);
    expect(await bindingsOf(queue)).toEqual(before);
  });

  it('cli bindings - a missing queue, or a management API that does not answer, is a failure (exit 1)', async () => {
    const missing = await run(['--queue', uniqueName('cli-nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist in vhost \/.*\[TOPOLOGY_FAILED\]/);
    const unreachable = await runCli([
      'bindings',
      '--queue',
      'q',
      '--url',
      amqpUrl(),
      '--management-url',
      'http://127.0.0.1:9',
      '--timeout',
      '2000',
    ]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      /cannot reach the RabbitMQ management API at http:\/\/127\.0\.0\.1:9\/ .*rabbitmq-plugins enable rabbitmq_management/,
    );
  });
});
