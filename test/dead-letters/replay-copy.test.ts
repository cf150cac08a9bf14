import { describe, expect, it } from 'vitest';
import { createEvent, RxPubsubHeader as Header } from '../../src/index.js';
import { encodeEvent } from '../../src/blocks.js';
import { entryOf } from '../../src/dead-letters/dead-letter-entry.js';
import { replayCopyOf } from '../../src/dead-letters/replay-copy.js';

const event = createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1' }, correlationId: 'c-1' });
const body = encodeEvent(event);
const DEAD_LETTER = entryOf(
  {
    exchange: '',
    routingKey: 'orders.dlq',
    body,
    properties: {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      messageId: event.id,
      correlationId: 'c-1',
      type: 'order.created',
      timestamp: 1_767_600_000,
      appId: 'shop',
      userId: 'orders-svc',
      expiration: '60000',
      headers: {
        tenant: 'acme',
        [Header.ERROR]: 'order.*: db down',
        [Header.PATTERNS]: 'order.*',
        [Header.ATTEMPTS]: 3,
        [Header.PENDING]: '["order.*"]',
        [Header.HISTORY]: '1: order.*: db down\n2: order.*: db down\n3: order.*: db down',
        [Header.ROUTING_KEY]: 'order.created',
        [Header.FIRST_FAILED_AT]: '2026-01-05T08:00:00.000Z',
        [Header.FAILED_AT]: '2026-01-05T08:10:00.000Z',
        'x-death': [{ count: 1, reason: 'rejected', queue: 'orders', time: 1, exchange: '', 'routing-keys': ['orders'] }],
        'x-delivery-count': 4,
      },
    } as never,
  },
  0,
);

describe('replay copy', () => {
  it('replay copy - to the queue: through the default exchange, the body byte for byte, the properties kept, attempts reset, replayed counted', () => {
    const copy = replayCopyOf(DEAD_LETTER, { to: 'queue', queue: 'orders' }, 5_000);
    expect(copy).toMatchObject({ exchange: '', routingKey: 'orders', mandatory: true, timeoutMs: 5_000 });
    expect(copy?.body).toBe(body);
    expect(copy?.properties).toStrictEqual({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      messageId: event.id,
      correlationId: 'c-1',
      type: 'order.created',
      timestamp: 1_767_600_000,
      appId: 'shop',
      headers: {
        tenant: 'acme',
        [Header.HISTORY]: '1: order.*: db down\n2: order.*: db down\n3: order.*: db down',
        [Header.ROUTING_KEY]: 'order.created',
        [Header.FIRST_FAILED_AT]: '2026-01-05T08:00:00.000Z',
        [Header.REPLAYED]: 1,
      },
    });
  });

  it("replay copy - to the exchange: keyed by the event's own domain.action", () => {
    const copy = replayCopyOf({ ...DEAD_LETTER, routingKey: 'order.forged' }, { to: 'exchange', exchange: 'events' }, 5_000);
    expect(copy).toMatchObject({ exchange: 'events', routingKey: 'order.created' });
  });

  it('replay copy - a second replay counts 2', () => {
    const copy = replayCopyOf({ ...DEAD_LETTER, replayed: 1 }, { to: 'queue', queue: 'orders' }, 5_000);
    expect(copy?.properties.headers?.[Header.REPLAYED]).toBe(2);
  });

  it('replay copy - a bad body goes to the exchange under its recorded key, and nowhere when none is known', () => {
    const bad = { ...DEAD_LETTER, event: undefined, badBody: 'body is not JSON' };
    expect(replayCopyOf(bad, { to: 'exchange', exchange: 'events' }, 5_000)?.routingKey).toBe('order.created');
    expect(replayCopyOf({ ...bad, routingKey: undefined }, { to: 'exchange', exchange: 'events' }, 5_000)).toBeUndefined();
    expect(replayCopyOf({ ...bad, routingKey: undefined }, { to: 'queue', queue: 'orders' }, 5_000)?.routingKey).toBe('orders');
  });

  it('replay copy - a header amqplib could not encode again is left out and counted', () => {
    const headers = { ...DEAD_LETTER.properties.headers, odd: { '!': 'nonsense', value: 1 } };
    const copy = replayCopyOf(
      { ...DEAD_LETTER, properties: { ...DEAD_LETTER.properties, headers } },
      { to: 'queue', queue: 'orders' },
      5_000,
    );
    expect(copy?.properties.headers).not.toHaveProperty('odd');
    expect(copy?.properties.headers?.[Header.DROPPED_HEADERS]).toBe(1);
  });
});
