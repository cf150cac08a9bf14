import { of, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DeadLetterHeader, type Event } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import {
  brokerView,
  collectSettlements,
  connectBus,
  names,
  orderEvent,
  rawChannel,
  TRANSPORTS,
  waitFor,
  waitForCount,
  waitForDepth,
} from '../support/bus.js';

describe.each(TRANSPORTS)('dead letters (%s)', (kind, makeUrl) => {
  it('dead letters - a failing handler sends the original to Q.dlq with reason headers; its sibling still runs', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('dl-fail');
    const bus = await connectBus({ url, exchange, queue });
    const settlements = collectSettlements(bus);
    const sibling: Event[] = [];
    bus.handle('order.*', async () => {
      throw new Error('inventory service down');
    });
    bus.handle('*.created', async (event) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      sibling.push(event);
    });
    await bus.ready();
    const view = await brokerView(url);

    const event = orderEvent();
    await bus.publish(event);
    await waitForCount(settlements, 1, 'settlements');
    await waitForDepth(view, `${queue}.dlq`, 1);

    expect(sibling.map((e) => e.id)).toEqual([event.id]);
    expect(settlements[0]?.outcome).toMatchObject({ kind: 'dead-letter' });
    const [letter] = await view.take(`${queue}.dlq`);
    expect(letter).toBeDefined();
    expect(JSON.parse(letter!.body.toString('utf8'))).toEqual(event);
    expect(letter!.properties.messageId).toBe(event.id);
    expect(letter!.properties.contentType).toBe('application/json');
    expect(letter!.properties.type).toBe('order.created');
    const headers = letter!.properties.headers ?? {};
    expect(String(headers[DeadLetterHeader.ERROR])).toContain('inventory service down');
    expect(String(headers[DeadLetterHeader.PATTERNS])).toBe('order.*');
    expect(Number(headers[DeadLetterHeader.ATTEMPTS])).toBe(1);
    expect(await view.depth(queue)).toBe(0);
    expect(bus.stats()).toMatchObject({ deadLettered: 1, acked: 0 });
  });

  it('dead letters - throwing, rejecting and erroring handlers all dead-letter; a succeeding Observable acks', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('dl-kinds');
    const bus = await connectBus({ url, exchange, queue });
    const settlements = collectSettlements(bus);
    bus.handle('order.thrown', () => {
      throw new Error('sync throw');
    });
    bus.handle('order.rejected', () => Promise.reject(new Error('async reject')));
    bus.handle('order.errored', { handle: () => throwError(() => new Error('observable error')) });
    bus.handle('order.fine', { handle: (event: Event) => of(event) });
    await bus.ready();
    const view = await brokerView(url);

    for (const action of ['thrown', 'rejected', 'errored', 'fine']) await bus.publish(orderEvent(action));
    await waitForCount(settlements, 4, 'settlements');
    await waitForDepth(view, `${queue}.dlq`, 3);

    const outcomes = Object.fromEntries(settlements.map((s) => [s.event?.action, s.outcome.kind]));
    expect(outcomes).toEqual({ thrown: 'dead-letter', rejected: 'dead-letter', errored: 'dead-letter', fine: 'ack' });
    const reasons = (await view.take(`${queue}.dlq`)).map((m) => String(m.properties.headers?.[DeadLetterHeader.ERROR])).sort();
    expect(reasons).toHaveLength(3);
    expect(reasons[0]).toContain('observable error');
    expect(reasons[1]).toContain('async reject');
    expect(reasons[2]).toContain('sync throw');
  });

  it('dead letters - a handler exceeding handlerTimeoutMs is dead-lettered with a timeout reason', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('dl-timeout');
    const bus = await connectBus({ url, exchange, queue, handlerTimeoutMs: 200 });
    const settlements = collectSettlements(bus);
    bus.handle('order.created', () => new Promise<void>(() => {}));
    await bus.ready();
    const view = await brokerView(url);

    const started = Date.now();
    await bus.publish(orderEvent());
    await waitForCount(settlements, 1, 'settlements', 5_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    await waitForDepth(view, `${queue}.dlq`, 1);
    const [letter] = await view.take(`${queue}.dlq`);
    expect(String(letter?.properties.headers?.[DeadLetterHeader.ERROR])).toMatch(/timed out/i);
    expect(String(letter?.properties.headers?.[DeadLetterHeader.PATTERNS])).toBe('order.created');
  });

  it('dead letters - bad bodies are dead-lettered with a reason, and the next good delivery is handled', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('dl-bad');
    const bus = await connectBus({ url, exchange, queue });
    const settlements = collectSettlements(bus);
    const handled: Event[] = [];
    bus.handle('*', (event) => void handled.push(event));
    await bus.ready();
    const view = await brokerView(url);
    const json = { contentType: 'application/json' };
    const valid = (action: string): Buffer => Buffer.from(JSON.stringify(orderEvent(action)));

    const bad: [string, string, Buffer, object, RegExp][] = [
      ['not JSON', 'order.created', Buffer.from('{"id": nope'), json, /not JSON/i],
      ['JSON, not an event', 'order.created', Buffer.from('{"hello":"world"}'), json, /not an event/i],
      ['a JSON array', 'order.created', Buffer.from('[1,2,3]'), json, /not an event/i],
      ['routing key ≠ domain.action', 'order.paid', valid('created'), json, /routing key/i],
      ['wrong content type', 'order.created', valid('created'), { contentType: 'text/plain' }, /content type/i],
    ];
    for (const [, key, body, properties] of bad) await view.publish(exchange, key, body, properties);
    const good = orderEvent('shipped');
    await bus.publish(good);

    await waitForCount(settlements, bad.length + 1, 'settlements');
    expect(handled.map((e) => e.id)).toEqual([good.id]);
    const outcomes = settlements.map((s) => s.outcome.kind);
    expect(outcomes.filter((k) => k === 'dead-letter')).toHaveLength(bad.length);
    expect(outcomes.filter((k) => k === 'ack')).toHaveLength(1);
    await waitForDepth(view, `${queue}.dlq`, bad.length);
    const letters = await view.take(`${queue}.dlq`);
    for (const [what, key, body, , reason] of bad) {
      // Match each letter by its original body (two cases share one) and routing key of the settlement.
      const letter = letters.find((l) => l.body.equals(body) && reason.test(String(l.properties.headers?.[DeadLetterHeader.ERROR])));
      expect(letter, `${what}: a dead letter with the original body and reason ${reason}`).toBeDefined();
      expect(letter?.routingKey, what).toBe(`${queue}.dlq`);
      expect(letter?.properties.headers?.[DeadLetterHeader.PATTERNS], what).toBe('');
      expect(Number(letter?.properties.headers?.[DeadLetterHeader.ATTEMPTS]), what).toBe(1);
      expect(settlements.some((s) => s.outcome.kind === 'dead-letter' && s.delivery.routingKey === key), what).toBe(true);
    }
    expect(bus.stats()).toMatchObject({ deadLettered: bad.length, acked: 1 });
  });

  it('dead letters - a replayed dead letter that fails again starts at attempt 1 (a publisher\'s attempts header is not believed); app headers are kept', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('dl-replay');
    const bus = await connectBus({ url, exchange, queue });
    const settlements = collectSettlements(bus);
    bus.handle('order.created', () => Promise.reject(new Error('still broken')));
    await bus.ready();
    const view = await brokerView(url);

    // As an operator's replay from Q.dlq would send it: our headers from the first failure, plus the app's.
    const event = orderEvent();
    await view.publish(exchange, 'order.created', Buffer.from(JSON.stringify(event)), {
      contentType: 'application/json',
      messageId: event.id,
      headers: { [DeadLetterHeader.ATTEMPTS]: 1, [DeadLetterHeader.ERROR]: 'order.created: broken', 'tenant-id': 'acme' },
    });
    await waitForCount(settlements, 1, 'settlements');
    await waitForDepth(view, `${queue}.dlq`, 1);
    const [letter] = await view.take(`${queue}.dlq`);
    const headers = letter?.properties.headers ?? {};
    expect(Number(headers[DeadLetterHeader.ATTEMPTS])).toBe(1);
    expect(String(headers[DeadLetterHeader.ERROR])).toContain('still broken');
    expect(headers['tenant-id']).toBe('acme');
  });

  it('dead letters - a huge or non-Error failure is dead-lettered with a short reason header', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('dl-huge');
    const bus = await connectBus({ url, exchange, queue });
    const settlements = collectSettlements(bus);
    bus.handle('order.huge', () => {
      throw new Error(`boom ${'x'.repeat(300_000)}`);
    });
    bus.handle('order.string', () => Promise.reject('plain string reason'));
    bus.handle('order.nothing', () => Promise.reject(undefined));
    bus.handle('order.object', () => {
      throw { code: 42 };
    });
    await bus.ready();
    const view = await brokerView(url);
    for (const action of ['huge', 'string', 'nothing', 'object']) await bus.publish(orderEvent(action));

    await waitForCount(settlements, 4, 'settlements');
    expect(settlements.every((s) => s.outcome.kind === 'dead-letter')).toBe(true);
    await waitForDepth(view, `${queue}.dlq`, 4);
    const reasons = new Map((await view.take(`${queue}.dlq`)).map((l) => [l.properties.type, String(l.properties.headers?.[DeadLetterHeader.ERROR])]));
    expect(reasons.get('order.huge')?.length).toBeLessThanOrEqual(4_096);
    expect(reasons.get('order.huge')).toContain('boom xxx');
    expect(reasons.get('order.string')).toContain('plain string reason');
    expect(reasons.get('order.nothing')).toMatch(/\S/);
    expect(reasons.get('order.object')).toContain('42');
    expect(await view.depth(queue)).toBe(0);
  });

  it('dead letters - a delivery no handler matches is acked and counted as unhandled', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('dl-unhandled');
    const bus = await connectBus({ url, exchange, queue });
    const settlements = collectSettlements(bus);
    bus.handle('order.created', () => undefined);
    // A stream binds user.* but decides nothing: its deliveries have no handler.
    const streamed: Event[] = [];
    const subscription = bus.on$('user.*').subscribe((event) => streamed.push(event));
    await bus.ready();
    const view = await brokerView(url);

    const event = { ...orderEvent(), domain: 'user', action: 'registered' } as Event;
    await bus.publish(event);
    await waitForCount(settlements, 1, 'settlements');
    subscription.unsubscribe();
    expect(settlements[0]?.outcome.kind).toBe('unhandled');
    expect(streamed.map((e) => e.id)).toEqual([event.id]);
    expect(bus.stats()).toMatchObject({ unhandled: 1, acked: 0, deadLettered: 0 });

    // Acked, not merely held: after close nothing comes back to the queue, and nothing went to the DLQ.
    await bus.close();
    expect(await view.depth(queue)).toBe(0);
    expect(await view.depth(`${queue}.dlq`)).toBe(0);
  });

  // The copy is mandatory: when Q.dlq is gone it comes back unroutable, the bus declares Q.dlq again and resends.
  it('dead letters - a failed delivery is not lost when Q.dlq was deleted under the running bus', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('dl-gone');
    const bus = await connectBus({ url, exchange, queue });
    const settlements = collectSettlements(bus);
    bus.handle('order.created', () => Promise.reject(new Error('fails')));
    await bus.ready();
    const view = await brokerView(url);
    await view.deleteQueue(`${queue}.dlq`);

    await bus.publish(orderEvent());
    await waitForCount(settlements, 1, 'settlements');
    const depth = (name: string): Promise<number> => view.depth(name).catch(() => 0);
    await waitFor(async () => (await depth(`${queue}.dlq`)) + (await depth(queue)) === 1, {
      timeoutMs: 3_000,
      description: 'the failed message to be kept in Q.dlq (or in Q)',
    });
  });

  it('dead letters - Q names Q.dlq as its dead-letter target: a message the broker rejects lands there', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('dl-target');
    await connectBus({ url, exchange, queue }); // declares Q and Q.dlq; no handler, so no consumer
    const view = await brokerView(url);
    const body = Buffer.from('rejected by someone else');
    await view.publish('', queue, body, { contentType: 'text/plain' });
    await waitForDepth(view, queue, 1);

    await rejectOne(kind, url, queue);

    await waitForDepth(view, `${queue}.dlq`, 1);
    const [letter] = await view.take(`${queue}.dlq`);
    expect(letter?.body.equals(body)).toBe(true);
    expect(await view.depth(queue)).toBe(0);
  });
});

/** Another consumer takes one message from `queue` and rejects it without requeue. */
async function rejectOne(kind: 'amqp' | 'memory', url: string, queue: string): Promise<void> {
  if (kind === 'amqp') {
    const channel = await rawChannel();
    const message = await channel.get(queue, { noAck: false });
    if (message === false) throw new Error(`${queue} is empty`);
    channel.nack(message, false, false);
    return;
  }
  // Another client of the same in-process broker, on a connection of its own.
  const broker = MemoryBroker.named(new URL(url).host);
  const connection = broker.connect();
  try {
    await new Promise<void>((resolve) => {
      // Deliveries are dispatched on a later turn, so `consumer` is assigned by then.
      const consumer = broker.consume(queue, connection, 1, {
        deliver: (delivery) => {
          delivery.nack(false);
          consumer.cancel();
          resolve();
        },
        cancelled: () => undefined,
      });
    });
  } finally {
    broker.disconnect(connection);
  }
}
