import { describe, expect, it } from 'vitest';
import { retryOf } from '../../src/bus/dead-letter.js';
import type { Failed } from '../../src/core/outcome.js';
import {
  attemptsOf,
  brokerDeliveryCountOf,
  DeadLetterHeader,
  DELIVERY_COUNT_HEADER,
  pendingHandlerIdsOf,
  publishedRoutingKeyOf,
  cameFromDelayQueue,
  retryStateOf,
} from '../../src/core/headers.js';
import type { Delivery, MessageProperties } from '../../src/transport/transport.js';

/** A delivery with `routingKey` and `headers`; the headers readers never settle it. */
function delivery(routingKey: string, headers?: Record<string, unknown>): Delivery {
  return {
    exchange: 'events',
    routingKey,
    body: Buffer.from('{}'),
    properties: headers === undefined ? {} : { headers },
    redelivered: false,
    stale: false,
    ack: () => expect.unreachable('the headers readers must not ack'),
    nack: () => expect.unreachable('the headers readers must not nack'),
  };
}

const FAILURE: Failed = { attempt: 1, reason: 'order.*: db down', failures: [{ pattern: 'order.*', error: new Error('db down') }] };

const withAttempts = (value: unknown): MessageProperties => ({ headers: { [DeadLetterHeader.ATTEMPTS]: value } });

describe('attemptsOf', () => {
  it('attemptsOf - 0 without headers or without the attempts header', () => {
    expect(attemptsOf({})).toBe(0);
    expect(attemptsOf({ headers: {} })).toBe(0);
    expect(attemptsOf({ headers: { tenant: 'acme' } })).toBe(0);
  });

  it.each([1, 2, 9, 1_000])('attemptsOf - reads the number %i', (n) => {
    expect(attemptsOf(withAttempts(n))).toBe(n);
  });

  it.each([['2', 2], ['17', 17]])('attemptsOf - reads the numeric string %j (a header some clients send as text)', (text, n) => {
    expect(attemptsOf(withAttempts(text))).toBe(n);
  });

  it.each(['many', '', 'NaN', -1, 0, 1.5, '2.5', Number.NaN, Number.POSITIVE_INFINITY, {}, null])(
    'attemptsOf - counts garbage (%j) as no attempts',
    (garbage) => {
      expect(attemptsOf(withAttempts(garbage))).toBe(0);
    },
  );

  it.each([
    ['true', true],
    ['[3]', [3]],
  ])('attemptsOf - counts the non-number %s as no attempts', (_label, garbage) => {
    expect(attemptsOf(withAttempts(garbage))).toBe(0);
  });
});

describe('pendingHandlerIdsOf', () => {
  it('pendingHandlerIdsOf - undefined for a first delivery (no pending header): every matching handler runs', () => {
    expect(pendingHandlerIdsOf({})).toBeUndefined();
    expect(pendingHandlerIdsOf({ headers: { tenant: 'acme' } })).toBeUndefined();
  });

  it('pendingHandlerIdsOf - the JSON array of handler ids of a retry', () => {
    expect(pendingHandlerIdsOf({ headers: { [DeadLetterHeader.PENDING]: '["order.*","*.created"]' } })).toEqual(new Set(['order.*', '*.created']));
    expect(pendingHandlerIdsOf({ headers: { [DeadLetterHeader.PENDING]: '["order.*#2"]' } })).toEqual(new Set(['order.*#2']));
  });

  it('pendingHandlerIdsOf - an empty array is an empty set (nothing left to run), not "run everything"', () => {
    expect(pendingHandlerIdsOf({ headers: { [DeadLetterHeader.PENDING]: '[]' } })).toEqual(new Set());
  });

  it('pendingHandlerIdsOf - a malformed header is ignored (every matching handler runs)', () => {
    expect(pendingHandlerIdsOf({ headers: { [DeadLetterHeader.PENDING]: 'order.*,*.created' } })).toBeUndefined();
    expect(pendingHandlerIdsOf({ headers: { [DeadLetterHeader.PENDING]: '[1,2]' } })).toBeUndefined();
  });

  it('pendingHandlerIdsOf - a header that is not a string is ignored', () => {
    expect(pendingHandlerIdsOf({ headers: { [DeadLetterHeader.PENDING]: 5 } })).toBeUndefined();
    expect(pendingHandlerIdsOf({ headers: { [DeadLetterHeader.PENDING]: ['order.*'] } })).toBeUndefined();
  });

  it('pendingHandlerIdsOf - reads back the patterns retryOf wrote', () => {
    const copy = retryOf(delivery('order.created'), 'q.retry.100', FAILURE, ['order.*', '*.created'], 1_000);
    expect(pendingHandlerIdsOf(copy.properties)).toEqual(new Set(['order.*', '*.created']));
  });

  it('pendingHandlerIdsOf - reads back a brace pattern with a comma that retryOf wrote', () => {
    const copy = retryOf(delivery('order.created'), 'q.retry.100', FAILURE, ['order.{created,paid}', '*.created'], 1_000);
    expect(pendingHandlerIdsOf(copy.properties)).toEqual(new Set(['order.{created,paid}', '*.created']));
  });
});

describe('publishedRoutingKeyOf', () => {
  it('publishedRoutingKeyOf - the delivery routing key when there is no header', () => {
    expect(publishedRoutingKeyOf(delivery('order.created'))).toBe('order.created');
    expect(publishedRoutingKeyOf(delivery('order.created', { tenant: 'acme' }))).toBe('order.created');
  });

  it('publishedRoutingKeyOf - the header of a delivery back through the default exchange (keyed by the queue name)', () => {
    expect(publishedRoutingKeyOf({ ...delivery('orders', { [DeadLetterHeader.ROUTING_KEY]: 'order.created' }), exchange: '' })).toBe('order.created');
  });

  it('publishedRoutingKeyOf - the header is ignored on a delivery through an exchange (anyone can write it)', () => {
    expect(publishedRoutingKeyOf(delivery('order.created', { [DeadLetterHeader.ROUTING_KEY]: 'user.deleted' }))).toBe('order.created');
  });

  it('publishedRoutingKeyOf - a header that is not a string is ignored', () => {
    expect(publishedRoutingKeyOf({ ...delivery('orders', { [DeadLetterHeader.ROUTING_KEY]: 42 }), exchange: '' })).toBe('orders');
  });
});

describe('cameFromDelayQueue', () => {
  const back = (headers: Record<string, unknown>, exchange = '', routingKey = 'orders'): Delivery => ({ ...delivery(routingKey, headers), exchange });
  const expired = (queue: string, reason = 'expired') => ({ 'x-death': [{ count: 1, reason, queue, exchange: '', 'routing-keys': [queue] }] });

  it('cameFromDelayQueue - true for the default exchange, keyed by the queue, newest x-death an expiry in <queue>.retry.<ms>', () => {
    expect(cameFromDelayQueue(back(expired('orders.retry.1000')), 'orders')).toBe(true);
  });

  it.each([
    ['through the topic exchange', back(expired('orders.retry.1000'), 'events')],
    ['keyed by another queue', back(expired('orders.retry.1000'), '', 'other')],
    ['without x-death', back({})],
    ['x-death of another queue', back(expired('other.retry.1000'))],
    ['x-death of the dlq', back(expired('orders.dlq'))],
    ['x-death reason rejected', back(expired('orders.retry.1000', 'rejected'))],
    ['x-death not a list', back({ 'x-death': 'orders.retry.1000' })],
    ['a retry suffix that is not a number', back(expired('orders.retry.x'))],
  ])('cameFromDelayQueue - false %s', (_what, d) => {
    expect(cameFromDelayQueue(d, 'orders')).toBe(false);
  });

  it('retryStateOf - headers believed only from a delay queue', () => {
    const headers = { [DeadLetterHeader.ATTEMPTS]: 3, [DeadLetterHeader.PENDING]: '["order.*"]' };
    expect(retryStateOf(back({ ...headers, ...expired('orders.retry.10') }), 'orders')).toEqual({ attempts: 3, pending: new Set(['order.*']) });
    expect(retryStateOf(back(headers), 'orders')).toEqual({ attempts: 0, pending: undefined });
    expect(retryStateOf(back({ ...headers, ...expired('orders.retry.10') }, 'events', 'order.created'), 'orders')).toEqual({ attempts: 0, pending: undefined });
  });
});

describe('brokerDeliveryCountOf', () => {
  it('brokerDeliveryCountOf - the header is x-delivery-count', () => {
    expect(DELIVERY_COUNT_HEADER).toBe('x-delivery-count');
  });

  it('brokerDeliveryCountOf - undefined without the header (classic queues)', () => {
    expect(brokerDeliveryCountOf({})).toBeUndefined();
    expect(brokerDeliveryCountOf({ headers: {} })).toBeUndefined();
  });

  it.each([[0, 0], [1, 1], [5, 5], ['3', 3]])('brokerDeliveryCountOf - reads %j as %i', (value, count) => {
    expect(brokerDeliveryCountOf({ headers: { [DELIVERY_COUNT_HEADER]: value } })).toBe(count);
  });

  it.each([-1, 1.5, 'twice', Number.NaN])('brokerDeliveryCountOf - undefined for the unusable value %j', (value) => {
    expect(brokerDeliveryCountOf({ headers: { [DELIVERY_COUNT_HEADER]: value } })).toBeUndefined();
  });

  it.each([null, ''])('brokerDeliveryCountOf - undefined for the empty value %j', (value) => {
    expect(brokerDeliveryCountOf({ headers: { [DELIVERY_COUNT_HEADER]: value } })).toBeUndefined();
  });
});
