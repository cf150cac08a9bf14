/**
 * Fault injection and inspection on the memory broker, observed through a
 * MemoryTransport as a bus sees it: state$, deliveries$, publish Promises.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, isRxPubsubError } from '../../../src/errors.js';
import { advanceVirtualTime } from '../../../src/testing/index.js';
import type { Delivery, OutboundMessage } from '../../../src/transport/transport.js';
import { boundConsumer, EXCHANGE, memoryTransports, track, turns, virtualClock } from '../../support/memory.js';

const { brokerName, collect, newTransport, open, statuses, unsubscribeAfterTest } = memoryTransports('memory-faults-test');

function message(routingKey: string, overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return { exchange: EXCHANGE, routingKey, body: Buffer.from(routingKey), properties: { deliveryMode: 2 }, timeoutMs: 1_000, ...overrides };
}

const keysOf = (deliveries: readonly Delivery[]): [string, boolean][] => deliveries.map((delivery) => [delivery.routingKey, delivery.redelivered]);

describe('MemoryBroker.dropConnections', () => {
  it('memory transport - dropConnections requeues deliveries, reconnects, and the same subscription gets them redelivered', async () => {
    const transport = await open(brokerName());
    const broker = transport.broker;
    const states = statuses(transport);
    const consumer = await boundConsumer(transport, 'q', ['job.*'], 2);
    let acking = false;
    let completed = false;
    const received: Delivery[] = [];
    unsubscribeAfterTest(
      consumer.deliveries$.subscribe({
        next: (delivery) => {
          received.push(delivery);
          if (acking) delivery.ack();
        },
        complete: () => (completed = true),
      }),
    );
    await transport.publish(message('job.n0'));
    await transport.publish(message('job.n1'));
    await turns();
    expect(broker.unackedCount('q')).toBe(2);

    expect(broker.dropConnections('CONNECTION_FORCED - test')).toBe(1);

    expect(states).toEqual(['connected', 'disconnected']);
    expect(broker.connectionCount()).toBe(0);
    expect(broker.queueDepth('q')).toBe(2);
    expect(received[0]?.ack()).toBe(false);
    acking = true;
    const settled: string[] = [];
    const late = track(settled, 'late', transport.publish(message('job.late')));
    const bound = track(settled, 'bound', consumer.bind('other.*'));
    await Promise.resolve();
    expect(settled).toEqual([]);

    await turns();
    await Promise.all([late, bound]);

    expect(states).toEqual(['connected', 'disconnected', 'connected']);
    expect(settled.sort()).toEqual(['bound', 'late']);
    expect(keysOf(received.slice(2))).toEqual([
      ['job.n0', true],
      ['job.n1', true],
      ['job.late', false],
    ]);
    expect(completed).toBe(false);
    expect(broker.connectionCount()).toBe(1);
    expect(broker.consumerCount('q')).toBe(1);
    expect(broker.bindings('q').map((binding) => binding.routingKey).sort()).toEqual(['job.*', 'other.*']);
  });

  it('memory transport - dropConnections deletes exclusive queues and the transport declares and binds them again', async () => {
    const transport = await open(brokerName());
    const received = collect(await boundConsumer(transport, 'mine', ['order.*'], 16, { exclusive: true }), (delivery) => delivery.ack());
    const before = transport.broker.consumers('mine')[0]?.connection;

    transport.broker.dropConnections();
    expect(transport.broker.hasQueue('mine')).toBe(false);
    await turns();
    await transport.publish(message('order.created'));
    await turns();

    expect(keysOf(received)).toEqual([['order.created', false]]);
    expect(transport.broker.consumers('mine')[0]?.connection).not.toBe(before);
  });

  it('memory transport - close after dropConnections completes deliveries$ and stops reconnecting', async () => {
    const transport = await open(brokerName());
    const consumer = await boundConsumer(transport, 'q', ['#']);
    let completed = false;
    unsubscribeAfterTest(consumer.deliveries$.subscribe({ complete: () => (completed = true) }));

    transport.broker.dropConnections();
    await transport.close();
    await turns();

    expect(completed).toBe(true);
    expect(transport.broker.connectionCount()).toBe(0);
  });
});

describe('MemoryBroker.refuseNextPublish', () => {
  it('memory transport - refuseNextPublish rejects the next publish with PUBLISH_REFUSED, and the one after goes through', async () => {
    const transport = await open(brokerName());
    await boundConsumer(transport, 'q', ['#']);

    transport.broker.refuseNextPublish('disk full');

    await expect(transport.publish(message('order.created'))).rejects.toSatisfy(
      (error) => isRxPubsubError(error, ErrorCode.PUBLISH_REFUSED) && error.message.includes('disk full') && error.retriable,
    );
    await expect(transport.publish(message('order.paid'))).resolves.toBeUndefined();
    expect(transport.broker.peek('q').map((waiting) => waiting.routingKey)).toEqual(['order.paid']);
  });
});

describe('MemoryBroker.cancelConsumers', () => {
  it('memory transport - cancelConsumers keeps the queue, the held delivery stays settleable, and the consumer resumes', async () => {
    const transport = await open(brokerName());
    const consumer = await boundConsumer(transport, 'q', ['#']);
    const received = collect(consumer);
    await transport.publish(message('job.n0'));
    await turns();

    expect(transport.broker.cancelConsumers('q')).toBe(1);
    expect(transport.broker.consumerCount('q')).toBe(0);
    expect(transport.broker.hasQueue('q')).toBe(true);
    expect(received[0]?.ack()).toBe(true);

    await turns();
    await transport.publish(message('job.n1'));
    await turns();

    expect(keysOf(received)).toEqual([
      ['job.n0', false],
      ['job.n1', false],
    ]);
    expect(transport.broker.consumerCount('q')).toBe(1);
    expect(transport.broker.cancelConsumers('missing')).toBe(0);
  });
});

describe('MemoryBroker.block', () => {
  it('memory transport - block holds publishes while consuming goes on; unblock releases them in order', async () => {
    const transport = await open(brokerName());
    const states = statuses(transport);
    const received = collect(await boundConsumer(transport, 'q', ['#'], 1), (delivery) => delivery.ack());
    transport.broker.block('memory alarm');
    expect(states).toEqual(['connected', 'blocked']);

    transport.broker.publish(EXCHANGE, 'foreign.n0', Buffer.from('x'), {});
    const settled: string[] = [];
    const held = ['a', 'b', 'c'].map((name) => track(settled, name, transport.publish(message(`held.${name}`))));
    await turns();

    expect(settled).toEqual([]);
    expect(keysOf(received)).toEqual([['foreign.n0', false]]);

    transport.broker.unblock();
    await Promise.all(held);
    await turns();

    expect(states).toEqual(['connected', 'blocked', 'connected']);
    expect(settled).toEqual(['a', 'b', 'c']);
    expect(keysOf(received).map(([key]) => key)).toEqual(['foreign.n0', 'held.a', 'held.b', 'held.c']);
  });

  it('memory transport - a publish held past its timeoutMs rejects PUBLISH_TIMEOUT, and a transport opened while blocked starts blocked', async () => {
    const name = brokerName();
    const transport = await open(name);
    transport.broker.block('disk alarm');

    await expect(transport.publish(message('order.created', { timeoutMs: 20 }))).rejects.toSatisfy((error) =>
      isRxPubsubError(error, ErrorCode.PUBLISH_TIMEOUT),
    );
    const late = newTransport(name);
    const states = statuses(late);
    await late.connect(EXCHANGE);
    expect(states).toEqual(['connecting', 'connected', 'blocked']);
    transport.broker.unblock();
  });

  it('memory transport - close waits for held publishes, which go out on unblock', async () => {
    const transport = await open(brokerName());
    await boundConsumer(transport, 'q', ['#']);
    transport.broker.block('memory alarm');
    const settled: string[] = [];
    const held = track(settled, 'held', transport.publish(message('order.created')));

    const closing = track(settled, 'closed', transport.close());
    await expect(transport.publish(message('order.paid'))).rejects.toSatisfy((error) => isRxPubsubError(error, ErrorCode.CLOSED));
    await turns();
    expect(settled).toEqual([]);

    transport.broker.unblock();
    await Promise.all([held, closing]);

    expect(settled).toEqual(['held', 'closed']);
    expect(transport.broker.queueDepth('q')).toBe(1);
  });
});

describe('MemoryBroker.delayDeliveries', () => {
  it('memory transport - delayDeliveries holds each dispatch for the delay; 0 restores', async () => {
    const transport = await open(brokerName());
    const scheduler = virtualClock(transport.broker);
    const arrivals: number[] = [];
    const received = collect(await boundConsumer(transport, 'q', ['#']), (delivery) => {
      arrivals.push(scheduler.now());
      delivery.ack();
    });
    transport.broker.delayDeliveries(100);

    const sentAt = scheduler.now();
    await transport.publish(message('order.created'));
    await advanceVirtualTime(scheduler, 99);
    expect(received).toHaveLength(0);
    await advanceVirtualTime(scheduler, 1);
    expect(received).toHaveLength(1);
    expect((arrivals[0] ?? 0) - sentAt).toBe(100);

    transport.broker.delayDeliveries(0);
    await transport.publish(message('order.paid'));
    await advanceVirtualTime(scheduler, 0);
    expect(received).toHaveLength(2);
    expect(() => transport.broker.delayDeliveries(-1)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
  });
});

describe('MemoryBroker inspection', () => {
  it('memory transport - connectionCount and consumers() show who consumes what', async () => {
    const name = brokerName();
    const first = await open(name);
    const second = await open(name);
    const a = await boundConsumer(first, 'work', ['#'], 2);
    const b = await boundConsumer(second, 'work', ['#'], 5);
    collect(a);
    collect(b);
    await first.publish(message('job.n0'));
    await turns();

    expect(first.broker.connectionCount()).toBe(2);
    const consumers = first.broker.consumers('work');
    expect(consumers.map(({ prefetch, unacked }) => ({ prefetch, unacked }))).toEqual([
      { prefetch: 2, unacked: 1 },
      { prefetch: 5, unacked: 0 },
    ]);
    expect(new Set(consumers.map((consumer) => consumer.connection)).size).toBe(2);
    expect(consumers.every((consumer) => consumer.tag.startsWith('amq.ctag-'))).toBe(true);
    expect(first.broker.consumers('missing')).toEqual([]);

    await second.close();
    expect(first.broker.connectionCount()).toBe(1);
  });
});
