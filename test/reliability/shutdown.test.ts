import { describe, expect, it } from 'vitest';
import { type Settlement } from '../../src/index.js';
import { brokerView, collectSettlements, connectBus, gate, names, orderEvent, teardown, TRANSPORTS, waitForCount } from '../support/bus.js';

describe.each(TRANSPORTS)('shutdown deadline (%s)', (_kind, makeUrl) => {
  it('shutdown deadline - close({ timeoutMs }) returns at the deadline with a 5 s handler in flight, and its delivery comes back redelivered to the next bus', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('shutdown');
    const first = await connectBus({ url, exchange, queue, handlerTimeoutMs: 10_000 });
    const started = gate();
    const abandoned = gate();
    teardown(abandoned.open);
    let finished = 0;
    first.handle('order.created', async () => {
      started.open();
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 5_000)), abandoned.promise]);
      finished++;
    });
    await first.ready();

    const event = orderEvent();
    await first.publish(event);
    await started.promise;
    const closing = performance.now();
    await first.close({ timeoutMs: 300 });
    const took = performance.now() - closing;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1_500);
    expect(finished).toBe(0);

    const second = await connectBus({ url, exchange, queue });
    const settlements: Settlement[] = collectSettlements(second);
    second.handle('order.created', () => undefined);
    await second.ready();
    await waitForCount(settlements, 1, 'settlements of the next bus');

    expect(settlements[0]?.event?.id).toBe(event.id);
    expect(settlements[0]?.delivery.redelivered).toBe(true);
    expect(settlements[0]?.outcome.kind).toBe('ack');
    const view = await brokerView(url);
    expect(await view.depth(`${queue}.dlq`)).toBe(0);
  });
});
