/**
 * A dead-letter copy must always be sendable, so its reason reaches Q.dlq:
 * our headers are bounded in bytes, and the original's headers are left out
 * (and counted) when they would not fit or could not be encoded again.
 */
import { describe, expect, it } from 'vitest';
import { deadLetterOf } from '../../src/bus/dead-letter.js';
import type { Failed } from '../../src/core/outcome.js';
import { DeadLetterHeader, type Event, type MessageProperties } from '../../src/index.js';
import type { Delivery } from '../../src/transport/transport.js';
import { brokerView, collectSettlements, connectBus, names, orderEvent, TRANSPORTS, waitFor, waitForCount, waitForDepth } from '../support/rig.js';

function propertiesOf(event: Event, headers: Record<string, unknown>): MessageProperties {
  return { contentType: 'application/json', messageId: event.id, headers };
}

describe.each(TRANSPORTS)('dead-letter size (%s)', (_kind, makeUrl) => {
  async function setup(prefix: string, reason = 'inventory down') {
    const url = makeUrl();
    const { exchange, queue } = names(prefix);
    const bus = await connectBus({ url, exchange, queue });
    const handled: string[] = [];
    bus.handle('order.*', (event) => {
      if (event.action === 'created') throw new Error(reason);
      handled.push(event.action);
    });
    await bus.ready();
    return { bus, exchange, queue, handled, settlements: collectSettlements(bus), view: await brokerView(url) };
  }

  it('dead-letter size - a message with ~64 KB of foreign headers is dead-lettered with its reason; the headers are dropped and counted', async () => {
    const { bus, exchange, queue, handled, settlements, view } = await setup('dl-size');
    const event = orderEvent('created');
    // One string header just under amqplib's 64 KiB table buffer: the original fits, a copy with our headers on top would not.
    await view.publish(exchange, 'order.created', Buffer.from(JSON.stringify(event)), propertiesOf(event, { 'big-header': 'h'.repeat(65_300), tenant: 'acme' }));
    await waitForCount(settlements, 1, 'settlements');
    await waitForDepth(view, `${queue}.dlq`, 1);
    const [letter] = await view.take(`${queue}.dlq`);
    const headers = letter?.properties.headers ?? {};
    expect(String(headers[DeadLetterHeader.ERROR])).toContain('inventory down');
    expect(Number(headers[DeadLetterHeader.DROPPED_HEADERS])).toBe(2);
    expect(headers).not.toHaveProperty('big-header');
    expect(letter?.body.toString()).toBe(JSON.stringify(event));
    expect(bus.stats()).toMatchObject({ deadLettered: 1, dropped: 0 });

    // Publishing and consuming go on.
    await bus.publish(orderEvent('paid'));
    await waitFor(() => handled.includes('paid'), { description: 'the next event to be handled' });
  });

  it('dead-letter size - small foreign headers are kept, and a multi-byte reason is bounded in bytes', async () => {
    // An odd prefix, so a cut by UTF-16 units would fall inside a surrogate pair.
    const { exchange, queue, settlements, view } = await setup('dl-bytes', `x${'🦄'.repeat(5_000)}`);
    const event = orderEvent('created');
    await view.publish(exchange, 'order.created', Buffer.from(JSON.stringify(event)), propertiesOf(event, { tenant: 'acme', nested: { level: { deeper: ['a', 1, true] } } }));
    await waitForCount(settlements, 1, 'settlements');
    await waitForDepth(view, `${queue}.dlq`, 1);
    const [letter] = await view.take(`${queue}.dlq`);
    const headers = letter?.properties.headers ?? {};
    expect(headers.tenant).toBe('acme');
    expect(headers.nested).toEqual({ level: { deeper: ['a', 1, true] } });
    expect(headers).not.toHaveProperty(DeadLetterHeader.DROPPED_HEADERS);
    for (const name of [DeadLetterHeader.ERROR, DeadLetterHeader.HISTORY]) {
      expect(Buffer.byteLength(String(headers[name]))).toBeLessThanOrEqual(4_000);
      expect(String(headers[name])).not.toContain('\uFFFD'); // cut on a character boundary
    }
  });
});

describe('dead-letter size - values amqplib cannot encode again', () => {
  const FAILURE: Failed = { attempt: 1, reason: 'r', failures: [{ pattern: 'order.*', error: new Error('r') }] };
  const delivery = (headers: Record<string, unknown>): Delivery => ({
    exchange: 'events',
    routingKey: 'order.created',
    body: Buffer.from('{}'),
    properties: { headers },
    redelivered: false,
    stale: false,
    ack: () => true,
    nack: () => true,
  });

  it('dead-letter size - a table with a "!" field, a long past 64 bits, a bad decimal and deep nesting are dropped and counted; decoded timestamps and decimals are kept', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 40; i++) deep = { down: deep };
    const copy = deadLetterOf(
      delivery({
        bang: { '!': 'not-a-type', value: 1 },
        huge: 2 ** 64,
        badDecimal: { '!': 'decimal', value: { places: 300, digits: 1 } },
        deep,
        stamp: { '!': 'timestamp', value: 1_700_000_000 },
        price: { '!': 'decimal', value: { places: 2, digits: 1999 } },
        bytes: Buffer.from([1, 2, 3]),
        fn: () => undefined,
      }),
      'q.dlq',
      FAILURE,
      1_000,
    );
    const headers = copy.properties.headers ?? {};
    expect(Object.keys(headers).filter((name) => !name.startsWith('rx-pubsub-')).sort()).toEqual(['bytes', 'price', 'stamp']);
    expect(headers[DeadLetterHeader.DROPPED_HEADERS]).toBe(5);
  });
});
