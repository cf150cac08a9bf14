import { describe, expect, it } from 'vitest';
import { createEvent, type Event } from '../../../src/index.js';
import { amqpUrl, connectBus, deleteExchange, rawChannel, teardown, uniqueName } from '../../support/bus.js';
import { startCli } from '../../support/cli.js';
import { bindingsOf } from '../../support/management.js';

/** A fresh topic exchange (tail only checks it), deleted when the test finishes. */
async function freshExchange(): Promise<string> {
  const exchange = uniqueName('cli-tail-x');
  teardown(() => deleteExchange(exchange));
  const channel = await rawChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true }); // as a bus declares it
  return exchange;
}

/**
 * Whether the broker has the queue: a passive declare on a channel of its own
 * (an error closes it). Another connection's exclusive queue answers 405
 * RESOURCE_LOCKED: it exists.
 */
async function queueExists(queue: string): Promise<boolean> {
  const channel = await rawChannel();
  return channel.checkQueue(queue).then(
    () => true,
    (error: unknown) => {
      if ((error as { code?: unknown }).code === 404) return false;
      if ((error as { code?: unknown }).code === 405) return true;
      throw error;
    },
  );
}

async function publisher(exchange: string): Promise<(domain: string, action: string, data: Record<string, string>) => Promise<Event>> {
  const bus = await connectBus({ url: amqpUrl(), exchange });
  return async (domain, action, data) => {
    const event = createEvent({ domain, action, data });
    await bus.publish(event);
    return event;
  };
}

describe('cli tail (amqp)', () => {
  it('cli tail - prints the events its patterns match, one line each, and deletes its queue on SIGINT (exit 0)', async () => {
    const exchange = await freshExchange();
    const tail = startCli(['tail', 'order.*', '--exchange', exchange, '--url', amqpUrl()], { timeoutMs: 30_000 });
    const queue = (await tail.waitForOutput(/\(queue (\S+)\); Ctrl-C to stop/, 'stderr'))[1] ?? '';
    expect(await queueExists(queue)).toBe(true);
    expect(await bindingsOf(queue)).toEqual([{ exchange, routingKey: 'order.#' }]);

    const publish = await publisher(exchange);
    const ignored = await publish('user', 'registered', { user_id: 'U1' });
    const created = await publish('order', 'created', { order_id: 'A1' });
    await tail.waitForOutput(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} order\\.created ${created.id} \\{"order_id":"A1"\\}$`, 'm'));

    const { code, stdout, stderr } = await tail.stop('SIGINT');
    expect(code).toBe(0);
    expect(stdout).not.toContain(ignored.id);
    expect(stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`tail: stopped after 1 events; deleted queue ${queue}`);
    expect(await queueExists(queue)).toBe(false);
  }, 40_000);

  it('cli tail - --json prints each matching event as one JSON line; --count ends it (exit 0), leaving no queue', async () => {
    const exchange = await freshExchange();
    const tail = startCli(['tail', '*.created', 'user.{deleted,banned}', '--json', '--count', '3', '--exchange', exchange], {
      env: { AMQP_URL: amqpUrl() },
      timeoutMs: 30_000,
    });
    const queue = (await tail.waitForOutput(/\(queue (\S+)\)/, 'stderr'))[1] ?? '';
    expect((await bindingsOf(queue)).map((binding) => binding.routingKey).sort()).toEqual(['#.created', 'user.banned', 'user.deleted']);

    const publish = await publisher(exchange);
    const sent = [
      await publish('order', 'created', { order_id: 'A1' }),
      await publish('order', 'paid', { order_id: 'A1' }),
      await publish('user', 'deleted', { user_id: 'U1' }),
      await publish('user', 'created', { user_id: 'U2' }),
    ];
    const { code, stdout } = await tail.exited;
    expect(code).toBe(0);
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Event);
    expect(lines).toEqual([sent[0], sent[2], sent[3]]);
    expect(await queueExists(queue)).toBe(false);
  }, 40_000);

  it('cli tail - SIGTERM stops it as Ctrl-C does', async () => {
    const exchange = await freshExchange();
    const tail = startCli(['tail', '--exchange', exchange, '--url', amqpUrl()], { timeoutMs: 30_000 });
    const queue = (await tail.waitForOutput(/\(queue (\S+)\)/, 'stderr'))[1] ?? '';
    expect((await tail.stop('SIGTERM')).code).toBe(0);
    expect(await queueExists(queue)).toBe(false);
  }, 40_000);

  it('cli tail - an exchange that does not exist is a failure (exit 1) that says so', async () => {
    const tail = startCli(['tail', '--exchange', uniqueName('cli-missing-x'), '--url', amqpUrl()]);
    const { code, stderr } = await tail.exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^error: the exchange t-cli-missing-x-\w+ does not exist on the broker: check --exchange .*\[TOPOLOGY_FAILED\]\n$/,
    );
  });
});
