/**
 * `x-single-active-consumer` on the memory broker, as RabbitMQ dispatches it:
 * one consumer of the queue at a time (the earliest still registered), the
 * others waiting; when it goes the next takes over, after its unacked
 * deliveries went back to the head.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBroker, type MemoryConnection, type QueueDeclaration } from '../../../src/transport/memory/memory-broker.js';
import type { MemoryConsumer, MemoryDelivery } from '../../../src/transport/memory/memory-consumer.js';
import { turns } from '../../support/memory.js';

let counter = 0;
const brokers: string[] = [];
afterEach(() => {
  for (const name of brokers.splice(0)) MemoryBroker.reset(name);
});

/** A fresh broker with queue `q` (single active consumer, of `type`) and its consumers' deliveries. */
function setup(type: 'classic' | 'quorum') {
  const name = `memory-sac-test-${++counter}`;
  brokers.push(name);
  const broker = MemoryBroker.named(name);
  const declaration: QueueDeclaration = {
    durable: true,
    exclusive: false,
    autoDelete: false,
    arguments: { 'x-single-active-consumer': true, ...(type === 'quorum' ? { 'x-queue-type': 'quorum' } : {}) },
  };
  broker.declareQueue('q', declaration);
  const publish = (...bodies: string[]): void => {
    for (const body of bodies) broker.publish('', 'q', Buffer.from(body), {});
  };
  /** A consumer on a connection of its own; what it received, as `body` or `body*` when redelivered. */
  const consumer = (prefetch: number, settle: (delivery: MemoryDelivery) => void = (delivery) => delivery.ack()) => {
    const connection: MemoryConnection = broker.connect();
    const received: string[] = [];
    const held: MemoryDelivery[] = [];
    const self: MemoryConsumer = broker.consume('q', connection, prefetch, {
      deliver: (delivery) => {
        received.push(`${delivery.body.toString()}${delivery.redelivered ? '*' : ''}`);
        held.push(delivery);
        settle(delivery);
      },
      cancelled: () => undefined,
    });
    return { connection, received, held, self };
  };
  return { broker, publish, consumer };
}

describe.each(['classic', 'quorum'] as const)('MemoryBroker single active consumer (%s)', (type) => {
  it('memory broker - single active consumer: the first consumer gets every message, the next one waits', async () => {
    const { broker, publish, consumer } = setup(type);
    const first = consumer(16);
    const second = consumer(16);

    publish('1', '2', '3', '4');
    await turns();

    expect(first.received).toEqual(['1', '2', '3', '4']);
    expect(second.received).toEqual([]);
    expect(broker.consumerCount('q')).toBe(2);
  });

  it('memory broker - single active consumer: at its prefetch the active one holds the rest back; the waiting one gets none', async () => {
    const { broker, publish, consumer } = setup(type);
    const first = consumer(1, () => undefined);
    const second = consumer(16);

    publish('1', '2', '3');
    await turns();

    expect(first.received).toEqual(['1']);
    expect(second.received).toEqual([]);
    expect(broker.queueDepth('q')).toBe(2);
  });

  it('memory broker - single active consumer: cancelled, the next one takes over what waits; its own unacked stay settleable', async () => {
    const { broker, publish, consumer } = setup(type);
    const first = consumer(1, () => undefined);
    const second = consumer(16);
    publish('1', '2', '3');
    await turns();

    first.self.cancel();
    await turns();
    expect(second.received).toEqual(['2', '3']);

    expect(first.held[0]?.ack()).toBe(true);
    expect(broker.unackedCount('q')).toBe(0);
  });

  it('memory broker - single active consumer: its connection closed, its unacked go to the next one first, in order, then the rest', async () => {
    const { broker, publish, consumer } = setup(type);
    const first = consumer(2, () => undefined);
    const second = consumer(16);
    publish('1', '2', '3', '4');
    await turns();
    expect(first.received).toEqual(['1', '2']);

    broker.disconnect(first.connection);
    await turns();

    expect(second.received).toEqual(['1*', '2*', '3', '4']);
    expect(broker.consumerCount('q')).toBe(1);
  });

  it('memory broker - single active consumer: a consumer that comes back waits behind the one that took over', async () => {
    const { broker, publish, consumer } = setup(type);
    const first = consumer(16);
    const second = consumer(16);
    broker.disconnect(first.connection);
    const back = consumer(16);

    publish('1', '2');
    await turns();

    expect(second.received).toEqual(['1', '2']);
    expect(back.received).toEqual([]);
  });
});
