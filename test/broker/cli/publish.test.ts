import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createEvent, type Event } from '../../../src/index.js';
import { amqpUrl, connectBus, names } from '../../support/bus.js';
import { runCli } from '../../support/cli.js';

/** A bus on a fresh exchange and queue, receiving `pattern`; the first `count` events it sees. */
async function receiver(pattern: string, count: number): Promise<{ exchange: string; events: Promise<Event[]> }> {
  const { exchange, queue } = names('cli-pub');
  const bus = await connectBus({ url: amqpUrl(), exchange, queue });
  const events = firstValueFrom(bus.on$(pattern).pipe(take(count), toArray()));
  await bus.ready();
  return { exchange, events };
}

describe('cli publish (amqp)', () => {
  it('cli publish - --data publishes one confirmed event that a bus receives; prints its id (exit 0)', async () => {
    const { exchange, events } = await receiver('order.*', 1);
    const { code, stdout, stderr } = await runCli(
      ['publish', 'order.created', '--data', '{"order_id":"A1","total":9.5}', '--exchange', exchange, '--correlation-id', 'c-1'],
      {
        env: { AMQP_URL: amqpUrl() },
      },
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const [event] = await events;
    expect(stdout).toBe(`${event?.id}\n`);
    expect(event).toMatchObject({
      domain: 'order',
      action: 'created',
      data: { order_id: 'A1', total: 9.5 },
      version: 1,
      correlationId: 'c-1',
    });
  });

  it('cli publish - "-" publishes one event per NDJSON line of stdin, blank lines skipped, ids in order (--json)', async () => {
    const { exchange, events } = await receiver('user.registered', 3);
    const input = '{"user_id":"U1"}\n\n{"user_id":"U2"}\r\n{"user_id":"U3"}';
    const { code, stdout } = await runCli(['publish', 'user.registered', '-', '--json', '--exchange', exchange, '--url', amqpUrl()], {
      input,
    });
    expect(code).toBe(0);
    const printed = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; routingKey: string });
    const received = await events;
    expect(received.map((event) => event.data)).toEqual([{ user_id: 'U1' }, { user_id: 'U2' }, { user_id: 'U3' }]);
    expect(printed).toEqual(received.map((event) => ({ id: event.id, routingKey: 'user.registered', timestamp: event.timestamp })));
  });

  it('cli publish - a bad stdin line fails the run (exit 1) naming the line; the events before it went out and were printed, none after', async () => {
    const { exchange, queue } = names('cli-pub');
    const bus = await connectBus({ url: amqpUrl(), exchange, queue });
    const events = firstValueFrom(bus.on$('user.*').pipe(take(2), toArray()));
    await bus.ready();
    const { code, stdout, stderr } = await runCli(['publish', 'user.registered', '-', '--exchange', exchange, '--url', amqpUrl()], {
      input: '{"user_id":"U1"}\n{nope\n{"user_id":"U3"}\n',
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: stdin line 2: not JSON/);
    // Every event the CLI published was confirmed (so queued) before it exited: a marker sent now comes after them.
    await bus.publish(createEvent({ domain: 'user', action: 'marker', data: {} }));
    const [first, second] = await events;
    expect(stdout).toBe(`${first?.id}\n`);
    expect([first?.data, second?.action]).toEqual([{ user_id: 'U1' }, 'marker']);
  });
});
