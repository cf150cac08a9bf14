import { describe, expect, it } from 'vitest';
import { DeadLetterHeader, deadLetterOf, retryOf, RxPubsubHeader } from '../../src/bus/dead-letter.js';
import type { Failed } from '../../src/core/outcome.js';
import type { HandlerFailure } from '../../src/core/outcome.js';
import type { Delivery, MessageProperties } from '../../src/transport/transport.js';

/** A delivery as a consumer hands it over; settling it is not the copy's business. */
function delivery(
  properties: MessageProperties & { expiration?: string },
  body: Buffer = Buffer.from('{"id":"e-1"}'),
  routingKey = 'order.created',
): Delivery {
  return {
    // Keyed by a queue name ('q', 'orders'): it came back through the default exchange.
    exchange: routingKey.includes('.') ? 'events' : '',
    routingKey,
    body,
    properties,
    redelivered: false,
    stale: false,
    ack: () => expect.unreachable('a copy must not ack'),
    nack: () => expect.unreachable('a copy must not nack'),
  };
}

const FAILURES: readonly HandlerFailure[] = [
  { pattern: 'order.*', error: new Error('db down') },
  { pattern: '*.created', error: new Error('smtp down') },
];

/** An attempt's failure; the first attempt with both FAILURES unless told otherwise. */
function failure(reason = 'order.*: db down; *.created: smtp down', attempt = 1, failures = FAILURES): Failed {
  return { attempt, reason, failures };
}

const PROPERTIES = {
  contentType: 'application/json',
  contentEncoding: 'utf-8',
  deliveryMode: 1,
  messageId: 'e-1',
  correlationId: 'corr-1',
  type: 'order.created',
  timestamp: 1_700_000_000,
  appId: 'shop',
  headers: { tenant: 'acme', 'x-death': [{ count: 1 }], 'X-First-Death-Queue': 'q', 'x-delay': 5 },
} as const;

/** A failure time the copy stamps: ISO-8601 UTC. */
const NOW = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as unknown as string;

describe('DeadLetterHeader', () => {
  it('DeadLetterHeader - the header names are rx-pubsub-error, -patterns, -attempts, -history, -pending, -routing-key, -dropped-headers, -failed-at, -first-failed-at and -replayed', () => {
    expect(DeadLetterHeader).toStrictEqual({
      ERROR: 'rx-pubsub-error',
      PATTERNS: 'rx-pubsub-patterns',
      ATTEMPTS: 'rx-pubsub-attempts',
      HISTORY: 'rx-pubsub-history',
      PENDING: 'rx-pubsub-pending',
      ROUTING_KEY: 'rx-pubsub-routing-key',
      DROPPED_HEADERS: 'rx-pubsub-dropped-headers',
      FAILED_AT: 'rx-pubsub-failed-at',
      FIRST_FAILED_AT: 'rx-pubsub-first-failed-at',
      REPLAYED: 'rx-pubsub-replayed',
    });
  });

  it('DeadLetterHeader - is the deprecated name of RxPubsubHeader, the same table (also exported from the package root)', async () => {
    expect(DeadLetterHeader).toBe(RxPubsubHeader);
    const root = await import('../../src/index.js');
    expect(root.DeadLetterHeader).toBe(root.RxPubsubHeader);
  });
});

describe('deadLetterOf', () => {
  it('deadLetterOf - goes to Q.dlq through the default exchange, mandatory, with the original body and timeout', () => {
    const body = Buffer.from('{"id":"e-1","domain":"order"}');
    const copy = deadLetterOf(delivery(PROPERTIES, body), 'orders.dlq', failure('order.*: db down'), 1234);
    expect(copy.exchange).toBe('');
    expect(copy.routingKey).toBe('orders.dlq');
    expect(copy.body).toBe(body);
    expect(copy.timeoutMs).toBe(1234);
    // A dead letter that reaches no queue must fail the publish, not vanish.
    expect(copy.mandatory).toBe(true);
  });

  it('deadLetterOf - keeps the original properties and non-x- headers, and adds the reason headers', () => {
    const copy = deadLetterOf(delivery(PROPERTIES), 'orders.dlq', failure(), 1000);
    expect(copy.properties).toStrictEqual({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      messageId: 'e-1',
      correlationId: 'corr-1',
      type: 'order.created',
      timestamp: 1_700_000_000,
      appId: 'shop',
      headers: {
        tenant: 'acme',
        [DeadLetterHeader.ERROR]: 'order.*: db down; *.created: smtp down',
        [DeadLetterHeader.PATTERNS]: 'order.* *.created',
        [DeadLetterHeader.ATTEMPTS]: 1,
        [DeadLetterHeader.HISTORY]: '1: order.*: db down; *.created: smtp down',
        [DeadLetterHeader.ROUTING_KEY]: 'order.created',
        [DeadLetterHeader.FIRST_FAILED_AT]: NOW,
        [DeadLetterHeader.FAILED_AT]: NOW,
      },
    });
  });

  it('deadLetterOf - strips broker-owned x- headers whatever their case', () => {
    const headers = deadLetterOf(delivery(PROPERTIES), 'q.dlq', failure('r'), 1000).properties.headers ?? {};
    expect(Object.keys(headers).filter((name) => name.toLowerCase().startsWith('x-'))).toEqual([]);
    expect(headers.tenant).toBe('acme');
  });

  it('deadLetterOf - is persistent even when the original was not', () => {
    expect(deadLetterOf(delivery({ deliveryMode: 1 }), 'q.dlq', failure('r'), 1000).properties.deliveryMode).toBe(2);
    expect(deadLetterOf(delivery({}), 'q.dlq', failure('r'), 1000).properties.deliveryMode).toBe(2);
  });

  it('deadLetterOf - removes the expiration, which would expire the dead letter itself', () => {
    const copy = deadLetterOf(delivery({ expiration: '60000', messageId: 'e-1' }), 'q.dlq', failure('r'), 1000);
    expect('expiration' in copy.properties).toBe(false);
    expect(copy.properties.messageId).toBe('e-1');
  });

  it.each([1, 3, 10])('deadLetterOf - the attempts header is the failed attempt (%i), whatever the delivery said', (attempt) => {
    const stale = delivery({ headers: { [DeadLetterHeader.ATTEMPTS]: 99 } });
    expect(deadLetterOf(stale, 'q.dlq', failure('r', attempt), 1000).properties.headers?.[DeadLetterHeader.ATTEMPTS]).toBe(attempt);
  });

  it('deadLetterOf - after a retry, the history keeps every attempt, newest last, and the reason is replaced', () => {
    const first = retryOf(delivery({ headers: { 'x-death': [] } }), 'q.retry.1000', failure('first reason', 1), ['order.*'], 1000);
    const back = delivery(first.properties, first.body, 'q');
    const second = deadLetterOf(back, 'q.dlq', failure('second reason', 2, [FAILURES[0]!]), 1000);
    expect(second.properties.headers).toStrictEqual({
      [DeadLetterHeader.ERROR]: 'second reason',
      [DeadLetterHeader.PATTERNS]: 'order.*',
      [DeadLetterHeader.ATTEMPTS]: 2,
      [DeadLetterHeader.HISTORY]: '1: first reason\n2: second reason',
      [DeadLetterHeader.ROUTING_KEY]: 'order.created',
      [DeadLetterHeader.FIRST_FAILED_AT]: NOW,
      [DeadLetterHeader.FAILED_AT]: NOW,
    });
  });

  it('deadLetterOf - a long history drops its oldest lines behind "…" and stays within 2000 characters', () => {
    let headers: Record<string, unknown> = {};
    for (let attempt = 1; attempt <= 10; attempt++) {
      const reason = `${attempt}`.repeat(300);
      headers = { ...deadLetterOf(delivery({ headers }), 'q.dlq', failure(reason, attempt), 1000).properties.headers };
    }
    const history = headers[DeadLetterHeader.HISTORY] as string;
    expect(history.length).toBeLessThanOrEqual(2000);
    const lines = history.split('\n');
    expect(lines[0]).toBe('…');
    expect(lines.at(-1)).toBe(`10: ${'10'.repeat(300)}`);
    expect(lines.at(-2)).toBe(`9: ${'9'.repeat(300)}`);
    expect(history).not.toContain(`1: ${'1'.repeat(300)}`);
  });

  it('deadLetterOf - a single reason longer than the history limit keeps its last 2000 characters', () => {
    const reason = 'a'.repeat(1500) + 'b'.repeat(1500);
    const history = deadLetterOf(delivery({}), 'q.dlq', failure(reason), 1000).properties.headers?.[DeadLetterHeader.HISTORY];
    expect(history).toBe(`${'a'.repeat(500)}${'b'.repeat(1500)}`);
  });

  it('deadLetterOf - a bad message (no pattern) has empty patterns', () => {
    const copy = deadLetterOf(delivery({}), 'q.dlq', failure('body is not JSON', 1, [{ pattern: '', error: new Error('bad') }]), 1000);
    expect(copy.properties.headers?.[DeadLetterHeader.PATTERNS]).toBe('');
    expect(copy.properties.headers?.[DeadLetterHeader.ERROR]).toBe('body is not JSON');
  });

  it('deadLetterOf - a pattern that failed twice is listed once', () => {
    const failures = [
      { pattern: 'order.*', error: new Error('a') },
      { pattern: 'order.*', error: new Error('b') },
    ];
    expect(deadLetterOf(delivery({}), 'q.dlq', failure('r', 1, failures), 1000).properties.headers?.[DeadLetterHeader.PATTERNS]).toBe('order.*');
  });

  it('deadLetterOf - a delivery back from a delay queue keeps the routing key it was published with', () => {
    const back = delivery({ headers: { [DeadLetterHeader.ROUTING_KEY]: 'order.paid' } }, undefined, 'orders');
    expect(deadLetterOf(back, 'orders.dlq', failure('r'), 1000).properties.headers?.[DeadLetterHeader.ROUTING_KEY]).toBe('order.paid');
  });

  it('deadLetterOf - drops the pending patterns of an earlier retry', () => {
    const back = delivery({ headers: { [DeadLetterHeader.PENDING]: 'order.*' } });
    expect(deadLetterOf(back, 'q.dlq', failure('r'), 1000).properties.headers).not.toHaveProperty(DeadLetterHeader.PENDING);
  });

  it('deadLetterOf - stamps the failure time, and keeps the first failure time of a message that failed before (a retry, a replay)', () => {
    const before = Date.now();
    const first = deadLetterOf(delivery(PROPERTIES), 'q.dlq', failure('r'), 1000).properties.headers ?? {};
    const failedAt = Date.parse(String(first[DeadLetterHeader.FAILED_AT]));
    expect(failedAt).toBeGreaterThanOrEqual(before);
    expect(failedAt).toBeLessThanOrEqual(Date.now());
    expect(first[DeadLetterHeader.FIRST_FAILED_AT]).toBe(first[DeadLetterHeader.FAILED_AT]);

    const again = (firstFailedAt: unknown) =>
      deadLetterOf(delivery({ headers: { [DeadLetterHeader.FIRST_FAILED_AT]: firstFailedAt } }), 'q.dlq', failure('r', 2), 1000).properties.headers ?? {};
    expect(again('2026-01-05T08:00:00.000Z')[DeadLetterHeader.FIRST_FAILED_AT]).toBe('2026-01-05T08:00:00.000Z');
    const forged = again('x'.repeat(5_000));
    expect(forged[DeadLetterHeader.FIRST_FAILED_AT]).toBe(forged[DeadLetterHeader.FAILED_AT]);
  });

  it('deadLetterOf - does not change the original delivery properties', () => {
    const properties = { deliveryMode: 1, expiration: '5', headers: { 'x-death': [], tenant: 'acme' } };
    deadLetterOf(delivery(properties), 'q.dlq', failure('r'), 1000);
    expect(properties).toStrictEqual({ deliveryMode: 1, expiration: '5', headers: { 'x-death': [], tenant: 'acme' } });
  });
});

describe('retryOf', () => {
  it('retryOf - goes to the delay queue through the default exchange, mandatory, persistent, with the pending patterns', () => {
    const body = Buffer.from('{"id":"e-1"}');
    const copy = retryOf(delivery({ ...PROPERTIES, expiration: '60000' }, body), 'orders.retry.5000', failure(), ['order.*', '*.created'], 4321);
    expect(copy).toStrictEqual({
      exchange: '',
      routingKey: 'orders.retry.5000',
      body,
      mandatory: true,
      timeoutMs: 4321,
      properties: {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 2,
        messageId: 'e-1',
        correlationId: 'corr-1',
        type: 'order.created',
        timestamp: 1_700_000_000,
        appId: 'shop',
        headers: {
          tenant: 'acme',
          [DeadLetterHeader.ERROR]: 'order.*: db down; *.created: smtp down',
          [DeadLetterHeader.PATTERNS]: 'order.* *.created',
          [DeadLetterHeader.ATTEMPTS]: 1,
          [DeadLetterHeader.HISTORY]: '1: order.*: db down; *.created: smtp down',
          [DeadLetterHeader.ROUTING_KEY]: 'order.created',
          [DeadLetterHeader.FIRST_FAILED_AT]: NOW,
          [DeadLetterHeader.FAILED_AT]: NOW,
          [DeadLetterHeader.PENDING]: '["order.*","*.created"]',
        },
      },
    });
  });

  it('retryOf - a second retry replaces the pending patterns and keeps the original routing key', () => {
    const first = retryOf(delivery({}), 'q.retry.1000', failure('r1', 1), ['order.*', '*.created'], 1000);
    // It comes back from the delay queue keyed by the queue name.
    const back = delivery(first.properties, first.body, 'q');
    const second = retryOf(back, 'q.retry.2000', failure('r2', 2, [FAILURES[1]!]), ['*.created'], 1000);
    expect(second.properties.headers).toMatchObject({
      [DeadLetterHeader.PENDING]: '["*.created"]',
      [DeadLetterHeader.ROUTING_KEY]: 'order.created',
      [DeadLetterHeader.ATTEMPTS]: 2,
      [DeadLetterHeader.HISTORY]: '1: r1\n2: r2',
    });
  });
});

describe('copies - user-id', () => {
  it('copies - carry the bus\'s own login user as user-id, never the original publisher\'s (RabbitMQ would refuse it)', () => {
    const foreign = delivery({ ...PROPERTIES, userId: 'someone-else' });
    expect(deadLetterOf(foreign, 'q.dlq', failure(), 1_000, 'orders-svc').properties.userId).toBe('orders-svc');
    expect(retryOf(foreign, 'q.retry.100', failure(), ['order.*'], 1_000, 'orders-svc').properties.userId).toBe('orders-svc');
  });

  it('copies - without a login user (memory://, or URLs of several users) carry no user-id at all', () => {
    const foreign = delivery({ ...PROPERTIES, userId: 'someone-else' });
    expect('userId' in deadLetterOf(foreign, 'q.dlq', failure(), 1_000).properties).toBe(false);
    expect('userId' in retryOf(foreign, 'q.retry.100', failure(), ['order.*'], 1_000, undefined).properties).toBe(false);
  });
});
