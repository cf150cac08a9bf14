import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode, isRxPubsubError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/logger.js';
import { MemoryBroker } from '../../../src/transport/memory/memory-broker.js';
import { MemoryTransport } from '../../../src/transport/memory/memory-transport.js';
import { topicMatches } from '../../../src/transport/memory/topic-matches.js';
import { bodyBytes, type ConnectionState, type Delivery, type MessageProperties, type OutboundMessage } from '../../../src/transport/transport.js';
import { boundConsumer, EXCHANGE, memoryTransports, spec, turns } from '../../support/memory.js';

const { brokerName, collect, newTransport, open } = memoryTransports('memory-transport-test');

function message(routingKey: string, overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  const properties: MessageProperties = { contentType: 'application/json', deliveryMode: 2, type: routingKey, headers: { 'x-app': 'test' } };
  return { exchange: EXCHANGE, routingKey, body: Buffer.from(JSON.stringify({ routingKey })), properties, timeoutMs: 1_000, ...overrides };
}

const keysOf = (deliveries: readonly Delivery[]): string[] => deliveries.map((delivery) => delivery.routingKey);

describe('topicMatches', () => {
  it.each([
    ['order.created', 'order.created', true],
    ['order.created', 'order.paid', false],
    ['order.*', 'order.created', true],
    ['order.*', 'order', false],
    ['order.*', 'order.created.v2', false],
    ['*.created', 'user.created', true],
    ['*', 'order', true],
    ['*', '', false],
    ['order.#', 'order', true],
    ['order.#', 'order.created', true],
    ['order.#', 'order.created.v2', true],
    ['order.#', 'orders.created', false],
    ['#.created', 'created', true],
    ['#.created', 'order.created', true],
    ['#.created', 'a.b.created', true],
    ['#.created', 'order.created.x', false],
    ['#', '', true],
    ['#', 'a.b.c', true],
    ['a.#.z', 'a.z', true],
    ['a.#.z', 'a.b.c.z', true],
    ['a.#.z', 'a.b.c', false],
    ['#.#', 'a', true],
    ['*.#', '', false],
    ['a.*.#', 'a.b', true],
    ['#.x', '#.y.x', true],
    ['or*', 'order', false],
    ['or*', 'or*', true],
  ])('memory transport - topic key %j against %j is %s', (bindingKey, routingKey, expected) => {
    expect(topicMatches(bindingKey, routingKey)).toBe(expected);
  });
});

describe('MemoryTransport', () => {
  it('memory transport - routes a message to every bound queue once (pub/sub)', async () => {
    const transport = await open(brokerName());
    const emails = collect(await boundConsumer(transport, 'emails', ['order.*', 'order.#']));
    const analytics = collect(await boundConsumer(transport, 'analytics', ['#']));
    const users = collect(await boundConsumer(transport, 'users', ['user.*']));

    await transport.publish(message('order.created'));
    await transport.publish(message('user.registered'));
    await turns();

    expect(keysOf(emails)).toEqual(['order.created']);
    expect(keysOf(analytics)).toEqual(['order.created', 'user.registered']);
    expect(keysOf(users)).toEqual(['user.registered']);
  });

  it('memory transport - shares one broker per name and isolates other names', async () => {
    const name = brokerName();
    const subscriber = await open(name);
    const publisher = await open(name);
    const stranger = await open(brokerName());
    const received = collect(await boundConsumer(subscriber, 'q', ['#']));

    await publisher.publish(message('order.created'));
    await stranger.publish(message('order.paid'));
    await turns();

    expect(keysOf(received)).toEqual(['order.created']);
    expect(MemoryBroker.named(name)).toBe(subscriber.broker);
  });

  it('memory transport - delivers on a later turn, never inside publish', async () => {
    const transport = await open(brokerName());
    const received = collect(await boundConsumer(transport, 'q', ['#']));

    const confirmed = transport.publish(message('order.created'));
    expect(received).toHaveLength(0);
    await confirmed;
    await turns();
    expect(received).toHaveLength(1);
  });

  it('memory transport - delivers body and properties as published, the properties copied', async () => {
    const transport = await open(brokerName());
    const received = collect(await boundConsumer(transport, 'q', ['#']));
    const sent = message('order.created');

    await transport.publish(sent);
    await turns();

    const [delivery] = received;
    expect(delivery?.body.equals(bodyBytes(sent.body))).toBe(true);
    expect(delivery?.properties).toEqual(sent.properties);
    expect(delivery?.properties).not.toBe(sent.properties);
    expect(delivery?.properties.headers).not.toBe(sent.properties.headers);
    expect(delivery).toMatchObject({ exchange: EXCHANGE, routingKey: 'order.created', redelivered: false });
  });

  it('memory transport - a string body is delivered as its UTF-8 bytes', async () => {
    const transport = await open(brokerName());
    const received = collect(await boundConsumer(transport, 'q', ['#']));
    await transport.publish({ ...message('order.created'), body: '{"name":"Zoë ✓"}' });
    await turns();
    expect(received[0]?.body).toEqual(Buffer.from([...Buffer.from('{"name":"Zo'), 0xc3, 0xab, 0x20, 0xe2, 0x9c, 0x93, ...Buffer.from('"}')]));
  });

  it('memory transport - competing consumers on one queue share the work', async () => {
    const name = brokerName();
    const first = await open(name);
    const second = await open(name);
    const a = collect(await boundConsumer(first, 'work', ['#']), (delivery) => delivery.ack());
    const b = collect(await boundConsumer(second, 'work', ['#']), (delivery) => delivery.ack());

    for (let i = 0; i < 10; i++) await first.publish(message(`job.n${i}`));
    await turns();

    expect(a).toHaveLength(5);
    expect(b).toHaveLength(5);
    expect(new Set([...keysOf(a), ...keysOf(b)]).size).toBe(10);
  });

  it('memory transport - keeps FIFO order across many messages', async () => {
    const transport = await open(brokerName());
    const received = collect(await boundConsumer(transport, 'q', ['#'], 0), (delivery) => delivery.ack());
    const keys = Array.from({ length: 100 }, (_, i) => `job.n${i}`);

    for (const key of keys) await transport.publish(message(key));
    await turns();

    expect(keysOf(received)).toEqual(keys);
  });

  it('memory transport - holds at most prefetch unacked deliveries per consumer', async () => {
    const transport = await open(brokerName());
    const received = collect(await boundConsumer(transport, 'q', ['#'], 3));

    for (let i = 0; i < 10; i++) await transport.publish(message(`job.n${i}`));
    await turns();
    expect(received).toHaveLength(3);
    expect(transport.broker.unackedCount('q')).toBe(3);
    expect(transport.broker.queueDepth('q')).toBe(7);

    received[0]?.ack();
    await turns();
    expect(received).toHaveLength(4);
    expect(keysOf(received)).toEqual(['job.n0', 'job.n1', 'job.n2', 'job.n3']);
  });

  it('memory transport - nack without requeue lands in the dead-letter queue', async () => {
    const transport = await open(brokerName());
    const consumer = await boundConsumer(transport, 'q', ['#']);
    collect(consumer, (delivery) => delivery.nack(false));
    const sent = message('order.created');

    await transport.publish(sent);
    await turns();

    expect(transport.broker.queueDepth('q')).toBe(0);
    expect(transport.broker.unackedCount('q')).toBe(0);
    const [dead] = transport.broker.peek('q.dlq');
    expect(dead?.body.toString()).toBe(sent.body.toString());
    const { 'x-death': death, ...headers } = dead?.properties.headers ?? {};
    expect({ ...dead?.properties, headers }).toEqual({
      ...sent.properties,
      headers: { ...sent.properties.headers, 'x-first-death-queue': 'q', 'x-first-death-reason': 'rejected', 'x-first-death-exchange': 'events' },
    });
    // As RabbitMQ records it: the queue that rejected it, why, and where it was published.
    // `time` is the time of day in seconds (an AMQP timestamp), as RabbitMQ stamps it.
    const nowSeconds = Date.now() / 1000;
    expect(death).toEqual([
      { count: 1, reason: 'rejected', queue: 'q', time: expect.any(Number), exchange: 'events', 'routing-keys': ['order.created'] },
    ]);
    expect((death as { time: number }[])[0]?.time).toBeGreaterThan(nowSeconds - 60);
    expect((death as { time: number }[])[0]?.time).toBeLessThanOrEqual(nowSeconds);
    expect(dead).toMatchObject({ exchange: '', routingKey: 'q.dlq', redelivered: false });
  });

  it('memory transport - nack with requeue redelivers at the head with redelivered=true', async () => {
    const transport = await open(brokerName());
    let nacked = false;
    const received = collect(await boundConsumer(transport, 'q', ['#'], 1), (delivery) => {
      if (!nacked) {
        nacked = delivery.nack(true);
        return;
      }
      delivery.ack();
    });

    await transport.publish(message('job.first'));
    await transport.publish(message('job.second'));
    await turns();

    expect(received.map((delivery) => [delivery.routingKey, delivery.redelivered])).toEqual([
      ['job.first', false],
      ['job.first', true],
      ['job.second', false],
    ]);
  });

  it('memory transport - settling twice is harmless and reports the drop', async () => {
    const transport = await open(brokerName());
    const received = collect(await boundConsumer(transport, 'q', ['#']));

    await transport.publish(message('order.created'));
    await turns();

    const [delivery] = received;
    expect(delivery?.ack()).toBe(true);
    expect(delivery?.ack()).toBe(false);
    expect(delivery?.nack(false)).toBe(false);
    expect(transport.broker.queueDepth('q.dlq')).toBe(0);
  });

  it('memory transport - ack after close is dropped and the message is redelivered to the next consumer', async () => {
    const name = brokerName();
    const first = await open(name);
    const received = collect(await boundConsumer(first, 'q', ['#']));
    await first.publish(message('order.created'));
    await turns();

    await first.close();
    expect(received[0]?.ack()).toBe(false);
    expect(first.broker.queueDepth('q')).toBe(1);

    const second = await open(name);
    const redelivered = collect(await boundConsumer(second, 'q', ['#']));
    await turns();
    expect(redelivered.map((delivery) => [delivery.routingKey, delivery.redelivered])).toEqual([['order.created', true]]);
  });

  it('memory transport - close requeues the unacked deliveries in their order, ahead of the waiting ones', async () => {
    const name = brokerName();
    const first = await open(name);
    const held = collect(await boundConsumer(first, 'q', ['#'], 3));
    for (let i = 0; i < 5; i++) await first.publish(message(`job.n${i}`));
    await turns();
    expect(held[1]?.ack()).toBe(true);
    await turns();

    await first.close();

    const second = await open(name);
    const received = collect(await boundConsumer(second, 'q', ['#']), (delivery) => delivery.ack());
    await turns();
    expect(received.map((delivery) => [delivery.routingKey, delivery.redelivered])).toEqual([
      ['job.n0', true],
      ['job.n2', true],
      ['job.n3', true],
      ['job.n4', false],
    ]);
  });

  it('memory transport - a cancelled consumer can still settle what it holds', async () => {
    const transport = await open(brokerName());
    const consumer = await boundConsumer(transport, 'q', ['#']);
    const received: Delivery[] = [];
    const subscription = consumer.deliveries$.subscribe((delivery) => received.push(delivery));
    await transport.publish(message('order.created'));
    await turns();

    subscription.unsubscribe();
    expect(transport.broker.consumerCount('q')).toBe(0);
    expect(received[0]?.nack(false)).toBe(true);
    expect(transport.broker.queueDepth('q.dlq')).toBe(1);
  });

  it('memory transport - close completes deliveries$ and emits the lifecycle', async () => {
    const transport = newTransport(brokerName());
    const states: ConnectionState['status'][] = [];
    transport.state$.subscribe((state) => states.push(state.status));
    await transport.connect(EXCHANGE);
    let completed = false;
    transport.consumer(spec('q')).deliveries$.subscribe({ complete: () => (completed = true) });

    await transport.close();

    expect(completed).toBe(true);
    expect(states).toEqual(['connecting', 'connected', 'closed']);
  });

  it('memory transport - a mandatory unroutable publish rejects PUBLISH_UNROUTABLE, a missing exchange PUBLISH_REFUSED', async () => {
    const transport = await open(brokerName());

    await expect(transport.publish(message('nobody.listens', { mandatory: true }))).rejects.toSatisfy((error) =>
      isRxPubsubError(error, ErrorCode.PUBLISH_UNROUTABLE),
    );
    await expect(transport.publish(message('nobody.listens'))).resolves.toBeUndefined();
    await expect(transport.publish(message('order.created', { exchange: 'missing' }))).rejects.toSatisfy((error) =>
      isRxPubsubError(error, ErrorCode.PUBLISH_REFUSED),
    );
  });

  it('memory transport - publish after close rejects CLOSED', async () => {
    const transport = await open(brokerName());
    await transport.close();

    await expect(transport.publish(message('order.created'))).rejects.toSatisfy((error) => isRxPubsubError(error, ErrorCode.CLOSED));
    await expect(transport.consumer(spec('q')).ready()).rejects.toSatisfy((error) => isRxPubsubError(error, ErrorCode.CLOSED));
  });

  it('memory transport - a conflicting queue re-declare rejects TOPOLOGY_FAILED', async () => {
    const transport = await open(brokerName());
    await transport.consumer(spec('q')).ready();

    const conflicting = transport.consumer(spec('q', 16, { durable: false, arguments: { 'x-max-length': 10 } }));

    const isTopologyFailure = (error: unknown): boolean => isRxPubsubError(error, ErrorCode.TOPOLOGY_FAILED);
    await expect(conflicting.ready()).rejects.toSatisfy(isTopologyFailure);
    await expect(conflicting.bind('#')).rejects.toSatisfy(isTopologyFailure);
    let failure: unknown;
    conflicting.deliveries$.subscribe({ error: (error: unknown) => (failure = error) });
    expect(isTopologyFailure(failure)).toBe(true);
    await expect(transport.consumer(spec('q')).ready()).resolves.toBeUndefined();
  });

  it('memory transport - the default exchange routes by queue name', async () => {
    const transport = await open(brokerName());
    const received = collect(await boundConsumer(transport, 'q', []));

    await transport.publish(message('order.created', { exchange: '', routingKey: 'q' }));
    await turns();

    expect(received.map((delivery) => [delivery.exchange, delivery.routingKey])).toEqual([['', 'q']]);
  });

  it('memory transport - unbind stops routing, and inspection shows the topology', async () => {
    const transport = await open(brokerName());
    const consumer = await boundConsumer(transport, 'q', ['order.*', 'user.*']);

    await consumer.unbind('user.*');
    await transport.publish(message('user.registered'));
    await transport.publish(message('order.created'));

    expect(transport.broker.bindings('q')).toEqual([{ exchange: EXCHANGE, routingKey: 'order.*' }]);
    expect(transport.broker.queueNames().sort()).toEqual(['q', 'q.dlq']);
    expect(transport.broker.peek('q').map((waiting) => waiting.routingKey)).toEqual(['order.created']);
    expect(transport.broker.consumerCount('q')).toBe(0);
  });

  it('memory transport - exclusive queues go with their transport, auto-delete ones with their last consumer', async () => {
    const name = brokerName();
    const transport = await open(name);
    const other = await open(name);
    await transport.consumer(spec('mine', 16, { exclusive: true })).ready();
    await expect(other.consumer(spec('mine', 16, { exclusive: true })).ready()).rejects.toSatisfy((error) =>
      isRxPubsubError(error, ErrorCode.TOPOLOGY_FAILED),
    );
    const temporary = other.consumer(spec('temporary', 16, { autoDelete: true }));
    const subscription = temporary.deliveries$.subscribe();

    expect(other.broker.hasQueue('temporary')).toBe(true);
    subscription.unsubscribe();
    expect(other.broker.hasQueue('temporary')).toBe(false);
    await transport.close();
    expect(other.broker.hasQueue('mine')).toBe(false);
  });

  it('memory transport - a deleted queue is declared again and consumed again', async () => {
    const transport = await open(brokerName());
    const received = collect(await boundConsumer(transport, 'q', ['order.*']));

    transport.broker.deleteQueue('q');
    await turns();
    await transport.publish(message('order.created'));
    await turns();

    expect(transport.broker.bindings('q')).toEqual([{ exchange: EXCHANGE, routingKey: 'order.*' }]);
    expect(keysOf(received)).toEqual(['order.created']);
  });

  it('memory transport - refuses a URL that names no broker', () => {
    expect(() => new MemoryTransport({ url: 'memory://', logger: silentLogger })).toThrow(ConfigError);
  });
});
