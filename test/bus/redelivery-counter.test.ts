import { describe, expect, it } from 'vitest';
import { RedeliveryCounter } from '../../src/bus/redelivery-counter.js';
import type { Delivery } from '../../src/transport/transport.js';

interface DeliveryOf {
  readonly messageId?: string;
  readonly redelivered?: boolean;
  /** The broker's x-delivery-count (quorum queues). */
  readonly deliveryCount?: unknown;
}

/** A delivery of message `messageId`; counting never settles it. */
function delivery({ messageId, redelivered = false, deliveryCount }: DeliveryOf): Delivery {
  return {
    exchange: 'events',
    routingKey: 'order.created',
    body: Buffer.from('{}'),
    properties: {
      ...(messageId === undefined ? {} : { messageId }),
      ...(deliveryCount === undefined ? {} : { headers: { 'x-delivery-count': deliveryCount } }),
    },
    redelivered,
    stale: false,
    ack: () => expect.unreachable('the counter must not ack'),
    nack: () => expect.unreachable('the counter must not nack'),
  };
}

describe('RedeliveryCounter', () => {
  it('RedeliveryCounter - a first delivery counts 0, however often it is asked', () => {
    const counter = new RedeliveryCounter(true);
    expect(counter.count(delivery({ messageId: 'm1' }))).toBe(0);
    expect(counter.count(delivery({ messageId: 'm1' }))).toBe(0);
    expect(counter.count(delivery({}))).toBe(0);
  });

  it('RedeliveryCounter - counts the redeliveries of each message id on its own', () => {
    const counter = new RedeliveryCounter(true);
    const counts = [
      counter.count(delivery({ messageId: 'm1', redelivered: true })),
      counter.count(delivery({ messageId: 'm1', redelivered: true })),
      counter.count(delivery({ messageId: 'm2', redelivered: true })),
      counter.count(delivery({ messageId: 'm1', redelivered: true })),
      counter.count(delivery({ messageId: 'm2', redelivered: true })),
    ];
    expect(counts).toEqual([1, 2, 1, 3, 2]);
  });

  it('RedeliveryCounter - a redelivery without a message id counts 1 each time (nothing to follow it by)', () => {
    const counter = new RedeliveryCounter(true);
    expect(counter.count(delivery({ redelivered: true }))).toBe(1);
    expect(counter.count(delivery({ redelivered: true }))).toBe(1);
  });

  it("RedeliveryCounter - the broker's x-delivery-count wins when present", () => {
    const counter = new RedeliveryCounter(true);
    // Classic count so far: 2.
    counter.count(delivery({ messageId: 'm1', redelivered: true }));
    counter.count(delivery({ messageId: 'm1', redelivered: true }));
    expect(counter.count(delivery({ messageId: 'm1', redelivered: true, deliveryCount: 7 }))).toBe(7);
    expect(counter.count(delivery({ messageId: 'm1', redelivered: true, deliveryCount: 0 }))).toBe(0);
    // Not on a first delivery: there the header is whatever the publisher sent.
    expect(counter.count(delivery({ messageId: 'm2', deliveryCount: 4 }))).toBe(0);
  });

  it('RedeliveryCounter - on a classic queue x-delivery-count is a publisher\'s header and is ignored: the in-process count stands', () => {
    const counter = new RedeliveryCounter(false);
    expect(counter.count(delivery({ messageId: 'm1', redelivered: true, deliveryCount: 999 }))).toBe(1);
    expect(counter.count(delivery({ messageId: 'm1', redelivered: true, deliveryCount: 999 }))).toBe(2);
  });

  it('RedeliveryCounter - x-delivery-count does not advance the in-process count', () => {
    const counter = new RedeliveryCounter(true);
    counter.count(delivery({ messageId: 'm1', redelivered: true, deliveryCount: 5 }));
    expect(counter.count(delivery({ messageId: 'm1', redelivered: true }))).toBe(1);
  });

  it('RedeliveryCounter - an unusable x-delivery-count falls back to the in-process count', () => {
    const counter = new RedeliveryCounter(true);
    expect(counter.count(delivery({ messageId: 'm1', redelivered: true, deliveryCount: 'lots' }))).toBe(1);
    expect(counter.count(delivery({ messageId: 'm1', redelivered: true, deliveryCount: -1 }))).toBe(2);
  });

  it('RedeliveryCounter - forget resets the count of that message only', () => {
    const counter = new RedeliveryCounter(true);
    counter.count(delivery({ messageId: 'm1', redelivered: true }));
    counter.count(delivery({ messageId: 'm1', redelivered: true }));
    counter.count(delivery({ messageId: 'm2', redelivered: true }));

    counter.forget(delivery({ messageId: 'm1' }));

    expect(counter.count(delivery({ messageId: 'm1', redelivered: true }))).toBe(1);
    expect(counter.count(delivery({ messageId: 'm2', redelivered: true }))).toBe(2);
  });

  it('RedeliveryCounter - forgetting an unknown message, or one without an id, is harmless', () => {
    const counter = new RedeliveryCounter(true);
    expect(() => counter.forget(delivery({ messageId: 'never-seen' }))).not.toThrow();
    expect(() => counter.forget(delivery({}))).not.toThrow();
    expect(counter.count(delivery({ messageId: 'never-seen', redelivered: true }))).toBe(1);
  });

  it('RedeliveryCounter - stays bounded: past 10000 messages the oldest count is dropped, the newest kept', () => {
    const counter = new RedeliveryCounter(true);
    for (let i = 0; i < 10_001; i++) counter.count(delivery({ messageId: `m${i}`, redelivered: true }));
    // m0 was evicted: it counts from 1 again. m10000 is still followed.
    expect(counter.count(delivery({ messageId: 'm0', redelivered: true }))).toBe(1);
    expect(counter.count(delivery({ messageId: 'm10000', redelivered: true }))).toBe(2);
  });

  it('RedeliveryCounter - at the limit, counting a followed message does not evict another', () => {
    const counter = new RedeliveryCounter(true);
    for (let i = 0; i < 10_000; i++) counter.count(delivery({ messageId: `m${i}`, redelivered: true }));
    counter.count(delivery({ messageId: 'm9999', redelivered: true }));
    expect(counter.count(delivery({ messageId: 'm0', redelivered: true }))).toBe(2);
  });
});
