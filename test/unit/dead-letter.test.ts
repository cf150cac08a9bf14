import { describe, expect, it } from 'vitest';
import { DeadLetterHeader, deadLetterOf } from '../../src/bus/dead-letter.js';
import type { HandlerFailure } from '../../src/core/outcome.js';
import type { Delivery, MessageProperties } from '../../src/transport/transport.js';

/** A delivery as a consumer hands it over; settling it is not deadLetterOf's business. */
function delivery(properties: MessageProperties & { expiration?: string }, body = Buffer.from('{"id":"e-1"}')): Delivery {
  return {
    exchange: 'events',
    routingKey: 'order.created',
    body,
    properties,
    redelivered: false,
    ack: () => expect.unreachable('deadLetterOf must not ack'),
    nack: () => expect.unreachable('deadLetterOf must not nack'),
  };
}

const FAILURES: readonly HandlerFailure[] = [
  { pattern: 'order.*', error: new Error('db down') },
  { pattern: '*.created', error: new Error('smtp down') },
];

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

describe('deadLetterOf', () => {
  it('deadLetterOf - goes to Q.dlq through the default exchange with the original body and timeout', () => {
    const body = Buffer.from('{"id":"e-1","domain":"order"}');
    const copy = deadLetterOf(delivery(PROPERTIES, body), 'orders.dlq', 'order.*: db down', FAILURES, 1234);
    expect(copy.exchange).toBe('');
    expect(copy.routingKey).toBe('orders.dlq');
    expect(copy.body).toBe(body);
    expect(copy.timeoutMs).toBe(1234);
  });

  it('deadLetterOf - keeps the original properties and non-x- headers, and adds the reason headers', () => {
    const copy = deadLetterOf(delivery(PROPERTIES), 'orders.dlq', 'order.*: db down; *.created: smtp down', FAILURES, 1000);
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
        [DeadLetterHeader.PATTERNS]: 'order.*,*.created',
        [DeadLetterHeader.ATTEMPTS]: 1,
      },
    });
  });

  it('deadLetterOf - the header names are rx-pubsub-error, rx-pubsub-patterns and rx-pubsub-attempts', () => {
    expect(DeadLetterHeader).toStrictEqual({ ERROR: 'rx-pubsub-error', PATTERNS: 'rx-pubsub-patterns', ATTEMPTS: 'rx-pubsub-attempts' });
  });

  it('deadLetterOf - strips broker-owned x- headers whatever their case', () => {
    const headers = deadLetterOf(delivery(PROPERTIES), 'q.dlq', 'r', FAILURES, 1000).properties.headers ?? {};
    expect(Object.keys(headers).filter((name) => name.toLowerCase().startsWith('x-'))).toEqual([]);
    expect(headers.tenant).toBe('acme');
  });

  it('deadLetterOf - is persistent even when the original was not', () => {
    expect(deadLetterOf(delivery({ deliveryMode: 1 }), 'q.dlq', 'r', FAILURES, 1000).properties.deliveryMode).toBe(2);
    expect(deadLetterOf(delivery({}), 'q.dlq', 'r', FAILURES, 1000).properties.deliveryMode).toBe(2);
  });

  it('deadLetterOf - removes the expiration, which would expire the dead letter itself', () => {
    const copy = deadLetterOf(delivery({ expiration: '60000', messageId: 'e-1' }), 'q.dlq', 'r', FAILURES, 1000);
    expect('expiration' in copy.properties).toBe(false);
    expect(copy.properties.messageId).toBe('e-1');
  });

  it.each([
    ['no previous attempt', undefined, 1],
    ['a previous number', 2, 3],
    ['a previous numeric string', '4', 5],
    ['garbage', 'many', 1],
    ['a fraction', 1.5, 1],
  ])('deadLetterOf - attempts counts from %s', (_label, previous, expected) => {
    const headers = previous === undefined ? {} : { [DeadLetterHeader.ATTEMPTS]: previous };
    const copy = deadLetterOf(delivery({ headers }), 'q.dlq', 'r', FAILURES, 1000);
    expect(copy.properties.headers?.[DeadLetterHeader.ATTEMPTS]).toBe(expected);
  });

  it('deadLetterOf - a second trip through the dead letters counts two, and the reason is replaced', () => {
    const first = deadLetterOf(delivery({ headers: { 'x-death': [] } }), 'q.dlq', 'first reason', FAILURES, 1000);
    const second = deadLetterOf(delivery(first.properties), 'q.dlq', 'second reason', [FAILURES[0]!], 1000);
    expect(second.properties.headers).toStrictEqual({
      [DeadLetterHeader.ERROR]: 'second reason',
      [DeadLetterHeader.PATTERNS]: 'order.*',
      [DeadLetterHeader.ATTEMPTS]: 2,
    });
  });

  it('deadLetterOf - a bad message (no pattern) has empty patterns', () => {
    const copy = deadLetterOf(delivery({}), 'q.dlq', 'body is not JSON', [{ pattern: '', error: new Error('bad') }], 1000);
    expect(copy.properties.headers?.[DeadLetterHeader.PATTERNS]).toBe('');
    expect(copy.properties.headers?.[DeadLetterHeader.ERROR]).toBe('body is not JSON');
  });

  it('deadLetterOf - a pattern that failed twice is listed once', () => {
    const failures = [
      { pattern: 'order.*', error: new Error('a') },
      { pattern: 'order.*', error: new Error('b') },
    ];
    expect(deadLetterOf(delivery({}), 'q.dlq', 'r', failures, 1000).properties.headers?.[DeadLetterHeader.PATTERNS]).toBe('order.*');
  });

  it('deadLetterOf - does not change the original delivery properties', () => {
    const properties = { deliveryMode: 1, expiration: '5', headers: { 'x-death': [], tenant: 'acme' } };
    deadLetterOf(delivery(properties), 'q.dlq', 'r', FAILURES, 1000);
    expect(properties).toStrictEqual({ deliveryMode: 1, expiration: '5', headers: { 'x-death': [], tenant: 'acme' } });
  });
});
