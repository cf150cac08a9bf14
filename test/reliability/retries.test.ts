import { describe, expect, it } from 'vitest';
import { DeadLetterHeader, type Event } from '../../src/index.js';
import { brokerView, cleanupRetryQueues, collectSettlements, connectBus, names, orderEvent, rig, TRANSPORTS, waitFor, waitForCount, waitForDepth } from '../support/rig.js';

const POLICY = { attempts: 3, delaysMs: [100, 200] } as const;

describe.each(TRANSPORTS)('retries (%s)', (kind) => {
  it('retries - a handler failing twice then succeeding runs 3 times, waits 100 then 200 ms, and is acked', async () => {
    const { url } = await rig(kind);
    const { exchange, queue } = names('rt-ok');
    cleanupRetryQueues(url, queue, [100, 200]);
    const bus = await connectBus({ url, exchange, queue, retry: POLICY });
    const settlements = collectSettlements(bus);
    const calls: number[] = [];
    bus.handle('order.created', () => {
      calls.push(performance.now());
      if (calls.length <= 2) throw new Error(`flaky ${calls.length}`);
    });
    await bus.ready();
    const view = await brokerView(url);

    await bus.publish(orderEvent());
    await waitForCount(settlements, 3, 'settlements');

    expect(settlements.map((s) => s.outcome.kind)).toEqual(['retry', 'retry', 'ack']);
    expect(calls).toHaveLength(3);
    const [first = 0, second = 0, third = 0] = calls;
    // The delay queue's TTL starts when the copy is published, after the handler failed: never early.
    expect(second - first).toBeGreaterThanOrEqual(95);
    expect(third - second).toBeGreaterThanOrEqual(195);
    expect(settlements[2]?.delivery.properties.headers?.[DeadLetterHeader.ATTEMPTS]).toBe(2);
    expect(await view.depth(`${queue}.dlq`)).toBe(0);
    expect(await view.depth(queue)).toBe(0);
    expect(bus.stats()).toMatchObject({ retried: 2, acked: 1, deadLettered: 0 });
  });

  it('retries - a handler failing always is dead-lettered after 3 attempts with the whole history; the delay queues are declared with their TTL and left empty', async () => {
    const r = await rig(kind);
    const { url } = r;
    const { exchange, queue } = names('rt-dl');
    cleanupRetryQueues(url, queue, [100, 200]);
    const bus = await connectBus({ url, exchange, queue, retry: POLICY });
    const settlements = collectSettlements(bus);
    let calls = 0;
    bus.handle('order.created', () => {
      calls++;
      throw new Error(`down on call ${calls}`);
    });
    await bus.ready();
    const view = await brokerView(url);

    const event = orderEvent();
    await bus.publish(event);
    await waitForDepth(view, `${queue}.dlq`, 1);
    await waitForCount(settlements, 3, 'settlements');

    expect(calls).toBe(3);
    expect(settlements.map((s) => s.outcome.kind)).toEqual(['retry', 'retry', 'dead-letter']);
    const [letter] = await view.take(`${queue}.dlq`);
    expect(JSON.parse(letter!.body.toString('utf8'))).toEqual(event);
    const headers = letter!.properties.headers ?? {};
    expect(headers[DeadLetterHeader.ATTEMPTS]).toBe(3);
    expect(String(headers[DeadLetterHeader.ERROR])).toContain('down on call 3');
    const history = String(headers[DeadLetterHeader.HISTORY]).split('\n');
    expect(history).toHaveLength(3);
    history.forEach((line, i) => expect(line).toMatch(new RegExp(`^${i + 1}: .*down on call ${i + 1}`)));

    for (const delayMs of [100, 200]) {
      const retryQueue = `${queue}.retry.${delayMs}`;
      expect(await r.queueArguments(retryQueue), retryQueue).toMatchObject({
        'x-message-ttl': delayMs,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': queue,
      });
      expect(await view.depth(retryQueue), retryQueue).toBe(0);
    }
    expect(await view.depth(queue)).toBe(0);
  });

  it('retries - a per-handler retry policy overrides the bus policy', async () => {
    const r = await rig(kind);
    const { url } = r;
    const { exchange, queue } = names('rt-override');
    cleanupRetryQueues(url, queue, [50, 100, 200]);
    const bus = await connectBus({ url, exchange, queue, retry: POLICY });
    let calls = 0;
    bus.handle(
      'order.created',
      () => {
        calls++;
        throw new Error('always');
      },
      { retry: { attempts: 2, delaysMs: [50] } },
    );
    await bus.ready();
    const view = await brokerView(url);

    await bus.publish(orderEvent());
    await waitForDepth(view, `${queue}.dlq`, 1);

    expect(calls).toBe(2); // the bus policy would have made it 3
    const [letter] = await view.take(`${queue}.dlq`);
    expect(letter!.properties.headers?.[DeadLetterHeader.ATTEMPTS]).toBe(2);
    expect(await r.queueArguments(`${queue}.retry.50`)).toMatchObject({ 'x-message-ttl': 50 });
    expect(await r.queueArguments(`${queue}.retry.100`)).toBeUndefined(); // the bus policy's first delay: unused
    expect(await view.depth(`${queue}.retry.50`)).toBe(0);
    expect(bus.stats()).toMatchObject({ retried: 1, deadLettered: 1 });
  });

  it('retries - a sibling handler that succeeded is not run again on the retry', async () => {
    const { url } = await rig(kind);
    const { exchange, queue } = names('rt-sibling');
    cleanupRetryQueues(url, queue, [100, 200]);
    const bus = await connectBus({ url, exchange, queue, retry: POLICY });
    const settlements = collectSettlements(bus);
    const sibling: Event[] = [];
    let flaky = 0;
    bus.handle('order.*', (event) => void sibling.push(event));
    bus.handle('*.created', () => {
      if (++flaky === 1) throw new Error('first time only');
    });
    await bus.ready();

    const event = orderEvent();
    await bus.publish(event);
    await waitForCount(settlements, 2, 'settlements');

    expect(settlements.map((s) => s.outcome.kind)).toEqual(['retry', 'ack']);
    expect(flaky).toBe(2);
    expect(sibling.map((e) => e.id)).toEqual([event.id]);
  });

  it('retries - a retry waiting in the delay queue survives the bus: a new bus on the queue handles it', async () => {
    const { url } = await rig(kind);
    const { exchange, queue } = names('rt-crash');
    const policy = { attempts: 3, delaysMs: [1_000] };
    cleanupRetryQueues(url, queue, [1_000]);
    const first = await connectBus({ url, exchange, queue, retry: policy });
    const firstSettlements = collectSettlements(first);
    first.handle('order.created', () => {
      throw new Error('crashing service');
    });
    await first.ready();
    const view = await brokerView(url);

    const event = orderEvent();
    await first.publish(event);
    await waitForCount(firstSettlements, 1, 'settlements of the first bus');
    expect(firstSettlements[0]?.outcome.kind).toBe('retry');
    await first.close(); // the process is gone: whatever it held in memory is gone with it
    expect(await view.depth(`${queue}.retry.1000`)).toBe(1);

    const second = await connectBus({ url, exchange, queue, retry: policy });
    const handled: Event[] = [];
    const settlements = collectSettlements(second);
    second.handle('order.created', (e) => void handled.push(e));
    await second.ready();
    await waitForCount(settlements, 1, 'settlements of the second bus', 5_000);

    expect(handled.map((e) => e.id)).toEqual([event.id]);
    expect(settlements[0]?.outcome.kind).toBe('ack');
    expect(settlements[0]?.delivery.properties.headers?.[DeadLetterHeader.ATTEMPTS]).toBe(1);
    await waitFor(async () => (await view.depth(`${queue}.retry.1000`)) === 0, { description: 'the delay queue to be empty' });
    expect(await view.depth(`${queue}.dlq`)).toBe(0);
  });
});
