/**
 * Quorum queues by default: the service queue, its DLQ and its delay queues
 * are quorum queues unless `queueOptions.type` is 'classic' (or the queue is a
 * temporary one); a queue that exists with the other type fails connect with
 * the fix; the DLQ never drops a dead letter an operator peeks at; and the
 * bus, not the broker's `x-delivery-limit`, has the first word on poison.
 */
import { describe, expect, it } from 'vitest';
import { ConnectionError, DeadLetterHeader, ErrorCode, type QueueOptions } from '../../src/index.js';
import { rabbitmqctl } from '../support/broker.js';
import {
  brokerView,
  cleanupRetryQueues,
  collectSettlements,
  connectBus,
  expectRxError,
  names,
  orderEvent,
  rig,
  type Rig,
  TRANSPORTS,
  waitForCount,
  waitForDepth,
} from '../support/rig.js';

/** Each queue's type as the broker reports it (`rabbitmqctl list_queues name type`; memory: its declaration). */
async function typesOf(r: Rig, queues: readonly string[]): Promise<(string | undefined)[]> {
  if (r.kind === 'memory') {
    return Promise.all(queues.map(async (queue) => ((await r.queueArguments(queue))?.['x-queue-type'] as string | undefined) ?? 'classic'));
  }
  const rows = JSON.parse(await rabbitmqctl('list_queues', 'name', 'type', '--formatter', 'json', '--quiet')) as {
    name: string;
    type: string;
  }[];
  return queues.map((queue) => rows.find((row) => row.name === queue)?.type);
}

/** A bus on `queue` whose handler fails once: its event is retried through `queue.retry.100`; resolves with the outcomes. */
async function retriedOnce(url: string, exchange: string, queue: string, queueOptions?: QueueOptions): Promise<string[]> {
  cleanupRetryQueues(url, queue, [100]);
  const bus = await connectBus({ url, exchange, queue, retry: { attempts: 2, delaysMs: 100 }, ...(queueOptions ? { queueOptions } : {}) });
  const settlements = collectSettlements(bus);
  let calls = 0;
  bus.handle('order.created', () => {
    if (++calls === 1) throw new Error('flaky');
  });
  await bus.ready();
  await bus.publish(orderEvent());
  await waitForCount(settlements, 2, 'settlements');
  return settlements.map((s) => s.outcome.kind);
}

describe.each(TRANSPORTS)('quorum queues (%s)', (kind) => {
  it('quorum - by default Q, Q.dlq and Q.retry.<ms> are quorum queues, the delay queue dead-lettering at-least-once; a retry comes back through it', async () => {
    const r = await rig(kind);
    const { exchange, queue } = names('qq-default');

    expect(await retriedOnce(r.url, exchange, queue)).toEqual(['retry', 'ack']);

    expect(await typesOf(r, [queue, `${queue}.dlq`, `${queue}.retry.100`])).toEqual(['quorum', 'quorum', 'quorum']);
    expect(await r.queueArguments(`${queue}.dlq`)).toEqual({ 'x-queue-type': 'quorum' });
    expect(await r.queueArguments(`${queue}.retry.100`)).toMatchObject({
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
      'x-message-ttl': 100,
      'x-dead-letter-routing-key': queue,
    });
  });

  it("quorum - queueOptions.type 'classic' declares Q, Q.dlq and Q.retry.<ms> as classic queues, with the arguments of before", async () => {
    const r = await rig(kind);
    const { exchange, queue } = names('qq-classic');

    expect(await retriedOnce(r.url, exchange, queue, { type: 'classic' })).toEqual(['retry', 'ack']);

    expect(await typesOf(r, [queue, `${queue}.dlq`, `${queue}.retry.100`])).toEqual(['classic', 'classic', 'classic']);
    expect(await r.queueArguments(queue)).toEqual({ 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': `${queue}.dlq` });
    expect(await r.queueArguments(`${queue}.dlq`)).toEqual({});
  });

  it('quorum - an exclusive queue is classic without being asked: a temporary queue cannot be a quorum queue', async () => {
    const r = await rig(kind);
    const { exchange, queue } = names('qq-exclusive');
    const bus = await connectBus({ url: r.url, exchange, queue, queueOptions: { exclusive: true, autoDelete: true, durable: false } });
    bus.handle('order.created', () => undefined);
    await bus.ready();

    expect(await typesOf(r, [queue, `${queue}.dlq`])).toEqual(['classic', 'classic']);
  });

  it("quorum - a deployment whose queues are classic: connect fails TOPOLOGY_FAILED naming the fix, and type: 'classic' connects", async () => {
    const r = await rig(kind);
    const { exchange, queue } = names('qq-existing');
    const before = await connectBus({ url: r.url, exchange, queue, queueOptions: { type: 'classic' } });
    await before.close();

    const error = await expectRxError(connectBus({ url: r.url, exchange, queue }), ConnectionError, ErrorCode.TOPOLOGY_FAILED);

    expect(error.message).toContain("inequivalent arg 'x-queue-type'");
    expect(error.message).toContain(`queue "${queue}.dlq" exists as a classic queue and this bus declares it as a quorum queue`);
    expect(error.message).toContain(
      "delete the classic ones (moving their messages first, with a shovel, if they hold any) so that the bus declares them again, or keep them classic with queueOptions: { type: 'classic' }",
    );
    const kept = await connectBus({ url: r.url, exchange, queue, queueOptions: { type: 'classic' } });
    await expect(kept.ready()).resolves.toBeUndefined();
  });

  it('quorum - the DLQ has no delivery limit: a dead letter got and requeued 25 times (RabbitMQ 4 would stop at 20) stays', async () => {
    const r = await rig(kind);
    const { exchange, queue } = names('qq-dlq-peek');
    const bus = await connectBus({ url: r.url, exchange, queue });
    bus.handle('order.created', () => {
      throw new Error('always');
    });
    await bus.ready();
    const view = await brokerView(r.directUrl);
    await bus.publish(orderEvent());
    await waitForDepth(view, `${queue}.dlq`, 1);

    expect(await r.requeue(`${queue}.dlq`, 25)).toBe(24);

    await waitForDepth(view, `${queue}.dlq`, 1); // the last requeue may still be on its way
    expect((await r.queueArguments(`${queue}.dlq`))?.['x-delivery-limit']).toBeUndefined();
  });

  it("quorum - poison: with the broker's x-delivery-limit above maxRedeliveries the bus dead-letters first, with its reason header", async () => {
    const r = await rig(kind);
    const { exchange, queue } = names('qq-poison');
    // Limit 3: the broker delivers a message 4 times (x-delivery-count 0-3) and dead-letters it on the 4th return.
    const bus = await connectBus({
      url: r.url,
      exchange,
      queue,
      maxRedeliveries: 2,
      queueOptions: { arguments: { 'x-delivery-limit': 3 } },
    });
    const settlements = collectSettlements(bus);
    await r.bind(exchange, queue, 'order.created');
    await bus.publish(orderEvent());
    expect(await r.requeue(queue, 3)).toBe(2);

    bus.handle('order.created', () => undefined);
    await bus.ready();
    await waitForCount(settlements, 1, 'settlements');

    expect(settlements[0]?.delivery.properties.headers?.['x-delivery-count']).toBe(3);
    expect(settlements[0]?.outcome.kind).toBe('dead-letter');
    const view = await brokerView(r.directUrl);
    const [letter] = await view.take(`${queue}.dlq`);
    expect(String(letter?.properties.headers?.[DeadLetterHeader.ERROR])).toMatch(/poison.*maxRedeliveries 2/i);
  });
});
