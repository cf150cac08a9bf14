/**
 * The memory broker's quorum queues, message TTLs, retry queues and virtual
 * time, through a MemoryTransport as a bus drives it.
 */
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isRxPubsubError } from '../../../src/errors.js';
import { advanceVirtualTime } from '../../../src/testing/index.js';
import { MemoryBroker } from '../../../src/transport/memory/memory-broker.js';
import type { Delivery, OutboundMessage } from '../../../src/transport/transport.js';
import { EXCHANGE, memoryTransports, spec, turns, virtualClock } from '../../support/memory.js';

const { brokerName, collect, newTransport, open } = memoryTransports('memory-retry-test');

function message(routingKey: string, overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    exchange: EXCHANGE,
    routingKey,
    body: Buffer.from(JSON.stringify({ routingKey })),
    properties: { contentType: 'application/json', deliveryMode: 2, headers: { 'x-app': 'test' } },
    timeoutMs: 1_000,
    ...overrides,
  };
}

const isTopologyFailure = (error: unknown): boolean => isRxPubsubError(error, ErrorCode.TOPOLOGY_FAILED);

describe('MemoryTransport quorum queues', () => {
  it('memory transport - quorum x-delivery-count increments across two requeues, on copies of the properties', async () => {
    const transport = await open(brokerName());
    const consumer = transport.consumer(spec('q', 1, { type: 'quorum' }));
    await consumer.bind('order.*');
    let nacks = 0;
    const received = collect(consumer, (delivery) => {
      if (nacks++ < 2) delivery.nack(true);
      else delivery.ack();
    });

    await transport.publish(message('order.created'));
    await turns();

    expect(received.map((delivery) => [delivery.redelivered, delivery.properties.headers?.['x-delivery-count']])).toEqual([
      [false, undefined],
      [true, 1],
      [true, 2],
    ]);
    expect(received[0]?.properties.headers).toEqual({ 'x-app': 'test' });
    expect(transport.broker.queueDeclaration('q')?.arguments['x-queue-type']).toBe('quorum');
  });

  it('memory transport - quorum counts a redelivery after the connection closed; classic queues never set x-delivery-count', async () => {
    const name = brokerName();
    const first = await open(name);
    const quorum = first.consumer(spec('quorum', 16, { type: 'quorum' }));
    const classic = first.consumer(spec('classic'));
    await Promise.all([quorum.bind('#'), classic.bind('#')]);
    collect(quorum);
    collect(classic);
    await first.publish(message('order.created'));
    await turns(3);
    await first.close();

    const second = await open(name);
    const again = collect(second.consumer(spec('quorum', 16, { type: 'quorum' })));
    const classicAgain = collect(second.consumer(spec('classic')));
    await turns();

    expect(again.map((delivery) => [delivery.redelivered, delivery.properties.headers?.['x-delivery-count']])).toEqual([[true, 1]]);
    expect(classicAgain[0]?.redelivered).toBe(true);
    expect(classicAgain[0]?.properties.headers).toEqual({ 'x-app': 'test' });
  });

  it.each([
    ['exclusive', { exclusive: true }],
    ['auto-delete', { autoDelete: true }],
    ['non-durable', { durable: false }],
  ] as const)('memory transport - a %s quorum queue is refused with TOPOLOGY_FAILED', async (property, options) => {
    const transport = await open(brokerName());

    const consumer = transport.consumer(spec('q', 16, { type: 'quorum', ...options }));

    await expect(consumer.ready()).rejects.toSatisfy(
      (error) => isTopologyFailure(error) && (error as Error).message.includes(`'${property}'`) && (error as Error).message.includes('quorum'),
    );
    expect(transport.broker.hasQueue('q')).toBe(false);
  });

  it('memory transport - re-declaring a classic queue as quorum is a conflict', async () => {
    const transport = await open(brokerName());
    await transport.consumer(spec('q')).ready();

    await expect(transport.consumer(spec('q', 16, { type: 'quorum' })).ready()).rejects.toSatisfy(isTopologyFailure);
  });

  it('memory transport - a quorum queue dead-letters a message past its x-delivery-limit', async () => {
    const transport = await open(brokerName());
    const consumer = transport.consumer(spec('q', 1, { type: 'quorum', arguments: { 'x-delivery-limit': 1 } }));
    await consumer.bind('#');
    const received = collect(consumer, (delivery) => delivery.nack(true));

    await transport.publish(message('order.created'));
    await turns();

    expect(received).toHaveLength(2);
    expect(transport.broker.queueDepth('q')).toBe(0);
    expect(transport.broker.peek('q.dlq').map((dead) => dead.routingKey)).toEqual(['q.dlq']);
  });
});

describe('MemoryTransport message TTL and retry queues', () => {
  it('memory transport - a TTL expiry dead-letters back to the service queue with the routing key override, not before the TTL', async () => {
    const transport = await open(brokerName());
    const consumer = transport.consumer(spec('q'));
    const arrivals: number[] = [];
    const received = collect(consumer, (delivery) => {
      arrivals.push(scheduler.now());
      delivery.ack();
    });
    const retry = await consumer.retryQueue(200);
    const scheduler = virtualClock(transport.broker);

    const sentAt = scheduler.now();
    await transport.publish(message('order.created', { exchange: '', routingKey: retry }));
    await advanceVirtualTime(scheduler, 199);
    expect(received).toHaveLength(0);
    expect(transport.broker.queueDepth(retry)).toBe(1);

    await advanceVirtualTime(scheduler, 1);
    expect(received).toHaveLength(1);
    expect((arrivals[0] ?? 0) - sentAt).toBe(200);
    expect(received[0]).toMatchObject({ exchange: '', routingKey: 'q', redelivered: false });
    const { 'x-death': death, ...headers } = received[0]?.properties.headers ?? {};
    expect(headers).toEqual({ 'x-app': 'test', 'x-first-death-queue': retry, 'x-first-death-reason': 'expired', 'x-first-death-exchange': '' });
    expect(death).toMatchObject([{ count: 1, reason: 'expired', queue: retry, exchange: '', 'routing-keys': [retry] }]);
    expect(transport.broker.queueDepth(retry)).toBe(0);
  });

  it('memory transport - an expired message without a dead-letter exchange is dropped, and a requeue keeps its enqueue time', async () => {
    const transport = await open(brokerName());
    const broker = transport.broker;
    const scheduler = virtualClock(broker);
    broker.declareQueue('short', { durable: true, exclusive: false, autoDelete: false, arguments: { 'x-message-ttl': 30 } });
    const connection = broker.connect();
    let held: Delivery | undefined;
    const consumer = broker.consume('short', connection, 1, { deliver: (delivery) => (held = delivery), cancelled: () => undefined });

    await transport.publish(message('x', { exchange: '', routingKey: 'short' }));
    await advanceVirtualTime(scheduler, 0);
    consumer.cancel();
    await advanceVirtualTime(scheduler, 40);
    expect(held?.nack(true)).toBe(true);
    expect(broker.queueDepth('short')).toBe(1);

    // Its TTL ran out while it was unacked: back at the head, it expires at once, not 30 ms later.
    await advanceVirtualTime(scheduler, 0);
    expect(broker.queueDepth('short')).toBe(0);
    expect(broker.queueNames().sort()).toEqual(['short']);
    broker.disconnect(connection);
  });

  it('memory transport - retryQueue is idempotent and declares the delay queue as specified', async () => {
    const transport = await open(brokerName());
    const consumer = transport.consumer(spec('q'));

    const names = await Promise.all([consumer.retryQueue(1_000), consumer.retryQueue(1_000), consumer.retryQueue(5_000)]);

    expect(names).toEqual(['q.retry.1000', 'q.retry.1000', 'q.retry.5000']);
    expect(transport.broker.queueNames().sort()).toEqual(['q', 'q.dlq', 'q.retry.1000', 'q.retry.5000']);
    expect(transport.broker.queueDeclaration('q.retry.1000')).toEqual({
      durable: true,
      exclusive: false,
      autoDelete: false,
      arguments: { 'x-message-ttl': 1_000, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'q' },
    });
  });

  it("memory transport - a quorum queue's Q.dlq and delay queues are quorum queues too (a classic one would live on one node of a cluster)", async () => {
    const transport = await open(brokerName());
    const consumer = transport.consumer(spec('q', 1, { type: 'quorum' }));
    await consumer.retryQueue(1_000);

    for (const name of ['q', 'q.dlq', 'q.retry.1000'])
      expect(transport.broker.queueDeclaration(name)?.arguments['x-queue-type'], name).toBe('quorum');
    expect(transport.broker.queueDeclaration('q.dlq')).toEqual({
      durable: true,
      exclusive: false,
      autoDelete: false,
      arguments: { 'x-queue-type': 'quorum' },
    });
    expect(transport.broker.queueDeclaration('q.retry.1000')?.arguments).toEqual({
      'x-message-ttl': 1_000,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'q',
      'x-queue-type': 'quorum',
      // It holds the only copy of a message being retried: dead-lettered back at least once.
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    });
  });

  it('memory transport - retryQueue is declared again after a reconnect, and refuses a bad delay', async () => {
    const transport = await open(brokerName());
    const consumer = transport.consumer(spec('q'));
    await consumer.retryQueue(100);

    transport.broker.deleteQueue('q.retry.100');
    transport.broker.dropConnections();
    await turns();

    expect(transport.broker.hasQueue('q.retry.100')).toBe(true);
    await expect(consumer.retryQueue(-1)).rejects.toSatisfy((error) => isRxPubsubError(error, ErrorCode.INVALID_ARGUMENT));
    await expect(consumer.retryQueue(1.5)).rejects.toSatisfy((error) => isRxPubsubError(error, ErrorCode.INVALID_ARGUMENT));
  });

  it('memory transport - a TTL that is not a whole number of milliseconds is refused', async () => {
    const transport = await open(brokerName());

    await expect(transport.consumer(spec('q', 16, { arguments: { 'x-message-ttl': 'soon' } })).ready()).rejects.toSatisfy(isTopologyFailure);
  });
});

describe('MemoryBroker virtual time', () => {
  it('memory transport - virtual time: a 60 s retry delay expires on a TestScheduler, exactly on time, without waiting', () => {
    const name = brokerName();
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const broker = MemoryBroker.named(name, { scheduler });
    const transport = newTransport(name);
    const depths: number[] = [];

    scheduler.run(({ expectObservable }) => {
      void transport.connect(EXCHANGE);
      const consumer = transport.consumer(spec('q'));
      void consumer.retryQueue(60_000);
      void transport.publish(message('order.created', { exchange: '', routingKey: 'q.retry.60000' }));
      scheduler.schedule(() => depths.push(broker.queueDepth('q.retry.60000')), 59_999);
      scheduler.schedule(() => depths.push(broker.queueDepth('q.retry.60000')), 60_000);

      const keys = consumer.deliveries$.pipe(map((delivery) => (delivery.ack(), delivery.routingKey)));
      expectObservable(keys, '^ 99999ms !').toBe('60000ms q', { q: 'q' });
    });

    expect(depths).toEqual([1, 0]);
  });

  it('memory transport - virtual time: dispatch and delayDeliveries run on the scheduler', () => {
    const name = brokerName();
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const broker = MemoryBroker.named(name, { scheduler });
    const transport = newTransport(name);

    scheduler.run(({ cold, expectObservable }) => {
      void transport.connect(EXCHANGE);
      const consumer = transport.consumer(spec('q'));
      void consumer.bind('order.*');
      broker.delayDeliveries(5);
      cold('a 9ms b').subscribe((key) => void transport.publish(message(`order.${key}`)));

      const keys = consumer.deliveries$.pipe(map((delivery) => (delivery.ack(), delivery.routingKey)));
      expectObservable(keys, '^ 20ms !').toBe('5ms a 9ms b', { a: 'order.a', b: 'order.b' });
    });
  });

  it('memory transport - virtual time: a dropped connection reconnects, and a held publish times out, on the scheduler', async () => {
    const name = brokerName();
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const broker = MemoryBroker.named(name, { scheduler });
    const transport = newTransport(name);
    const outcomes: Promise<string>[] = [];
    const outcome = (promise: Promise<void>): Promise<string> =>
      promise.then(
        () => 'confirmed',
        (error: unknown) => (isRxPubsubError(error) ? error.code : 'other'),
      );

    scheduler.run(({ expectObservable }) => {
      void transport.connect(EXCHANGE);
      void transport.consumer(spec('q')).bind('#');
      scheduler.schedule(() => broker.dropConnections(), 10);
      scheduler.schedule(() => broker.block('memory alarm'), 20);
      scheduler.schedule(() => {
        outcomes.push(outcome(transport.publish(message('order.short', { timeoutMs: 50 }))));
        outcomes.push(outcome(transport.publish(message('order.long', { timeoutMs: 1_000 }))));
      }, 30);
      scheduler.schedule(() => broker.unblock(), 90);

      const statuses = transport.state$.pipe(map((state) => state.status[0]));
      expectObservable(statuses, '^ 100ms !').toBe('c 9ms (dc) 6ms b 69ms c');
    });

    expect(await Promise.all(outcomes)).toEqual([ErrorCode.PUBLISH_TIMEOUT, 'confirmed']);
    expect(broker.peek('q').map((waiting) => waiting.routingKey)).toEqual(['order.long']);
  });
});
