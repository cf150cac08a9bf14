/**
 * The callback publish path against RabbitMQ: nacks, unroutable mandatory publishes and refusals each settle their
 * publish once, publishAll stops at the first, and bus.stats() counts exactly what the broker confirmed.
 */
import { lastValueFrom, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ErrorCode, type Event } from '../../src/index.js';
import { amqpUrl, connectBus, deleteQueues, names, orderEvent, rawChannel, teardown } from '../support/bus.js';

const idOf = (event: Event): unknown => (event.data as { order_id: string }).order_id;
const events = (count: number): Event[] => Array.from({ length: count }, (_, i) => orderEvent('created', { order_id: `A${i}` }));

describe('publish callbacks (amqp)', () => {
  it('publish callbacks - nacks (a full reject-publish queue): publishAll emits the confirmed in order then fails; stats count only the confirmed', async () => {
    const { exchange, queue } = names('pcb-nack');
    const bus = await connectBus({ url: amqpUrl(), exchange });
    const channel = await rawChannel();
    await channel.assertQueue(queue, { durable: false, arguments: { 'x-max-length': 5, 'x-overflow': 'reject-publish' } });
    await channel.bindQueue(queue, exchange, 'order.*');
    teardown(() => deleteQueues(queue));

    const emitted: Event[] = [];
    const failure = await lastValueFrom(bus.publishAll(events(20), { window: 1 }).pipe(tap((event) => emitted.push(event))))
      .then(() => undefined)
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: ErrorCode.PUBLISH_REFUSED });
    // One by one, the first 5 fit the queue: confirmed, emitted in order, counted; the 6th was nacked, publishAll stopped.
    expect(emitted.map(idOf)).toEqual(events(5).map(idOf));
    const again = await lastValueFrom(bus.publishAll(events(3), { window: 3 }).pipe(toArray())).catch((error: unknown) => error);
    expect(again).toMatchObject({ code: ErrorCode.PUBLISH_REFUSED });
    const { messageCount } = await channel.checkQueue(queue);
    expect(messageCount).toBe(5);
    expect(bus.stats().published).toBe(5);
  }, 20_000);

  it('publish callbacks - concurrent publishes, an unroutable mandatory one, publishAll: each settles once, counted right', async () => {
    const { exchange, queue } = names('pcb-mixed');
    const bus = await connectBus({ url: amqpUrl(), exchange, mandatory: true });
    const channel = await rawChannel();
    await channel.assertQueue(queue, { durable: false });
    await channel.bindQueue(queue, exchange, 'order.*');
    teardown(() => deleteQueues(queue));

    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        bus
          .publish(orderEvent(i % 3 === 0 ? 'created' : 'paid', { order_id: `B${i}` }), i % 5 === 0 ? { mandatory: true } : undefined)
          .then(
            () => 'ok',
            (error: unknown) => (error as { code: string }).code,
          ),
      ),
    );
    const unroutable = await bus.publish({ ...orderEvent(), domain: 'user' }).catch((error: unknown) => error);
    expect(unroutable).toMatchObject({ code: ErrorCode.PUBLISH_UNROUTABLE });
    const confirmed = await lastValueFrom(bus.publishAll(events(50), { window: 7 }).pipe(toArray()));
    expect(confirmed.map(idOf)).toEqual(events(50).map(idOf));
    expect(outcomes.every((outcome) => outcome === 'ok')).toBe(true);
    expect(bus.stats().published).toBe(80);
    const { messageCount } = await channel.checkQueue(queue);
    expect(messageCount).toBe(80);
  }, 20_000);
});
