import { describe, expect, it } from 'vitest';
import { createEvent, RxPubsubHeader as Header } from '../../src/index.js';
import { encodeEvent } from '../../src/blocks.js';
import { entryOf } from '../../src/dead-letters/dead-letter-entry.js';
import type { HeldLetter } from '../../src/dead-letters/dead-letter-queue.js';

const event = createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1' } });

function letter(headers: Record<string, unknown>, body: Buffer = encodeEvent(event), extra: object = {}): HeldLetter {
  return {
    exchange: '',
    routingKey: 'orders.dlq',
    body,
    properties: { contentType: 'application/json', messageId: event.id, type: 'order.created', headers, ...extra },
  };
}

describe('dead-letter entry', () => {
  it("dead-letter entry - a bus's copy: event, error, patterns, attempts, history, routing key and failure times from its headers", () => {
    const entry = entryOf(
      letter({
        [Header.ERROR]: 'order.*: db down; *.created: smtp down',
        [Header.PATTERNS]: 'order.* *.created',
        [Header.ATTEMPTS]: 3,
        [Header.HISTORY]: '1: order.*: db down\n2: order.*: db down\n3: order.*: db down; *.created: smtp down',
        [Header.ROUTING_KEY]: 'order.created',
        [Header.FIRST_FAILED_AT]: '2026-01-05T08:00:00.000Z',
        [Header.FAILED_AT]: '2026-01-05T08:10:00.000Z',
        [Header.REPLAYED]: 1,
      }),
      7,
    );
    expect(entry).toMatchObject({
      position: 7,
      messageId: event.id,
      event,
      badBody: undefined,
      routingKey: 'order.created',
      source: 'rx-pubsub',
      error: 'order.*: db down; *.created: smtp down',
      patterns: ['order.*', '*.created'],
      attempts: 3,
      replayed: 1,
      firstFailedAt: new Date('2026-01-05T08:00:00.000Z'),
      lastFailedAt: new Date('2026-01-05T08:10:00.000Z'),
    });
    expect(entry.history).toHaveLength(3);
  });

  it('dead-letter entry - a bad body: no event, the reason, the raw bytes, and the routing key from the header', () => {
    const body = Buffer.from('{"id": nope');
    const entry = entryOf(
      letter({ [Header.ERROR]: 'body is not JSON', [Header.PATTERNS]: '', [Header.ROUTING_KEY]: 'order.paid' }, body),
      0,
    );
    expect(entry.event).toBeUndefined();
    expect(entry.badBody).toMatch(/not JSON/);
    expect(entry.body.equals(body)).toBe(true);
    expect(entry.patterns).toEqual([]);
    expect(entry.routingKey).toBe('order.paid');
  });

  it.each([
    ['memory:// (seconds)', 1_767_600_000],
    ['amqplib (a typed timestamp)', { '!': 'timestamp', value: 1_767_600_000 }],
  ])('dead-letter entry - a message the broker dead-lettered itself: reason, queue, key and time from x-death, %s', (_, time) => {
    const death = { count: 1, reason: 'expired', queue: 'orders', time, exchange: 'events', 'routing-keys': ['order.created'] };
    const older = { ...death, reason: 'rejected', time: typeof time === 'number' ? time - 60 : { ...time, value: time.value - 60 } };
    const entry = entryOf(letter({ 'x-death': [death, older] }, encodeEvent(event), { type: undefined }), 0);
    expect(entry).toMatchObject({
      source: 'broker',
      error: 'broker: expired in orders',
      routingKey: 'order.created',
      attempts: undefined,
      lastFailedAt: new Date(1_767_600_000_000),
      firstFailedAt: new Date(1_767_599_940_000),
    });
  });

  it('dead-letter entry - hostile headers never throw and read as absent', () => {
    const entry = entryOf(
      letter({
        [Header.ATTEMPTS]: 'many',
        [Header.REPLAYED]: -1,
        [Header.FAILED_AT]: 'yesterday',
        [Header.HISTORY]: 42,
        'x-death': ['nope', null, { reason: 1 }],
      }),
      0,
    );
    expect(entry).toMatchObject({ attempts: undefined, replayed: 0, lastFailedAt: undefined, history: [], source: 'unknown', error: '' });
    expect(entry.routingKey).toBe('order.created');
  });
});
