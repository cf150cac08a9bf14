import { count, lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type Event } from '../../src/index.js';
import { brokerView, connectBus, names, orderEvent, teardown, TRANSPORTS, waitForDepth } from '../support/bus.js';

const TOTAL = 10_000;

describe.each(TRANSPORTS)('publishAll (%s)', (_kind, makeUrl) => {
  it('publishAll - 10,000 events from an async generator arrive exactly once in a queue', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('publish-all');
    const bus = await connectBus({ url, exchange }); // publish-only: the test's own queue, declared below, holds what arrives
    const view = await brokerView(url);
    await view.declareBoundQueue(exchange, queue, 'order.*');
    teardown(() => view.deleteQueue(queue));
    async function* orders(): AsyncGenerator<Event> {
      for (let i = 0; i < TOTAL; i++) yield orderEvent('created', { order_id: `A${i}` });
    }
    const confirmed = await lastValueFrom(bus.publishAll(orders(), { window: 500 }).pipe(count()));
    expect(confirmed).toBe(TOTAL);
    await waitForDepth(view, queue, TOTAL, 30_000);
    const ids = (await view.take(queue)).map(
      (message) => (JSON.parse(message.body.toString()) as Event<{ order_id: string }>).data.order_id,
    );
    expect(ids).toHaveLength(TOTAL);
    expect(new Set(ids).size).toBe(TOTAL);
  }, 60_000);
});
