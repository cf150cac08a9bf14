/** testBus, memoryUrl and memoryBroker: buses on brokers of their own, and the broker as the management UI would show it. */
import { firstValueFrom } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, createEvent, DeadLetterHeader, ErrorCode, EventBus } from '../../src/index.js';
import { advanceVirtualTime, memoryBroker, memoryUrl, testBus } from '../../src/testing/index.js';

const opened: EventBus[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((bus) => bus.close()));
});

async function open(...args: Parameters<typeof testBus>): Promise<EventBus> {
  const bus = await testBus(...args);
  opened.push(bus);
  return bus;
}

const paid = () => createEvent({ domain: 'order', action: 'paid', data: { order_id: 'A1' } });

describe('testBus', () => {
  it('testBus - each bus gets a broker of its own; memoryBroker(bus) shows its queues, bindings, consumers and dead letters', async () => {
    const a = await open({ queue: 'billing', prefetch: 4 });
    const b = await open({ queue: 'billing' });
    expect(memoryBroker(a)).not.toBe(memoryBroker(b));
    a.handle('order.*', () => Promise.reject(new Error('card declined')));
    await a.ready();
    const settled = firstValueFrom(a.settlements$);
    await a.publish(paid());
    await settled;

    const broker = memoryBroker(a);
    expect(broker.queueNames().sort()).toEqual(['billing', 'billing.dlq']);
    expect(broker.bindings('billing')).toEqual([{ exchange: 'events', routingKey: 'order.#' }]);
    expect(broker.consumers('billing')).toEqual([{ tag: expect.stringMatching(/^amq\.ctag-/), connection: expect.any(Number), prefetch: 4, unacked: 0 }]);
    expect([broker.queueDepth('billing'), broker.unackedCount('billing'), broker.queueDepth('billing.dlq')]).toEqual([0, 0, 1]);
    expect(broker.peek('billing.dlq')[0]?.properties.headers).toMatchObject({
      [DeadLetterHeader.ERROR]: 'order.*: card declined',
      [DeadLetterHeader.PATTERNS]: 'order.*',
      [DeadLetterHeader.ATTEMPTS]: 1,
    });
    expect(broker.connectionCount()).toBe(1);
  });

  it('testBus - buses given one memoryUrl() share its broker: competing consumers on one queue, pub/sub across queues', async () => {
    const url = memoryUrl('shared');
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const seen: string[] = [];
    const workers = [await open({ url, queue: 'work', scheduler }), await open({ url, queue: 'work', scheduler })];
    const audit = await open({ url, queue: 'audit', scheduler });
    workers.forEach((bus, i) => bus.handle('order.*', () => void seen.push(`worker${i}`)));
    audit.handle('order.*', () => void seen.push('audit'));
    await Promise.all([...workers, audit].map((bus) => bus.ready()));

    for (let i = 0; i < 4; i++) await audit.publish(paid());
    await advanceVirtualTime(scheduler, 0);

    expect(memoryBroker(url)).toBe(memoryBroker(audit));
    expect(memoryBroker(url).consumerCount('work')).toBe(2);
    expect(seen.filter((s) => s === 'audit')).toHaveLength(4);
    expect(seen.filter((s) => s.startsWith('worker')).sort()).toEqual(['worker0', 'worker0', 'worker1', 'worker1']);
  });

  it('testBus - refuses a URL that is not memory://; memoryBroker refuses a bus testBus did not make', async () => {
    await expect(testBus({ url: 'amqp://user:secret@localhost' })).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTIONS });
    await expect(testBus({ url: 'amqp://user:secret@localhost' })).rejects.not.toThrow(/secret/);
    const plain = await EventBus.connect({ url: memoryUrl() });
    opened.push(plain);
    expect(() => memoryBroker(plain)).toThrow(ConfigError);
    expect(() => memoryBroker(plain)).toThrow(/pass the memory:\/\/ URL/);
    expect(() => memoryBroker('memory://')).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    expect(memoryUrl('x')).toMatch(/^memory:\/\/test-x-[0-9a-f]{12}$/);
  });
});
