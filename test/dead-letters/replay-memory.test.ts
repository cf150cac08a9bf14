import { lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, PublishError } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { uniqueName } from '../support/broker.js';
import { declareQueue, fillDeadLetters, openDeadLetters } from '../support/dead-letters.js';

const brokers: string[] = [];
afterEach(() => {
  for (const name of brokers.splice(0)) MemoryBroker.reset(name);
});

/** A memory broker with a service queue `orders` and `orders.dlq` holding `count` dead letters. */
async function deadLettered(count: number) {
  const name = uniqueName('replay');
  brokers.push(name);
  const url = `memory://${name}`;
  await declareQueue(url, 'orders');
  await declareQueue(url, 'orders.dlq');
  const events = await fillDeadLetters(url, 'orders.dlq', count);
  const broker = MemoryBroker.named(name);
  const idsIn = (queue: string): (string | undefined)[] => broker.peek(queue).map((m) => m.properties.messageId);
  return { url, broker, events, ids: events.map((e) => e.id), idsIn, dlq: openDeadLetters({ url, queue: 'orders' }) };
}

describe('replay (memory)', () => {
  it('replay - an observer that throws is reported, never thrown: the replay goes on to the end', async () => {
    const { dlq, idsIn, ids } = await deadLettered(20);
    const completed = new Promise<void>((resolve) => {
      dlq.replay({ window: 3 }).subscribe({
        next: () => {
          throw new Error('observer bug');
        },
        complete: resolve,
      });
    });
    await completed;
    expect(idsIn('orders')).toEqual(ids);
    expect(idsIn('orders.dlq')).toEqual([]);
  });

  it('replay - a publish the broker refuses ends the replay with its PublishError; nothing is lost, every dead letter not replayed stays, in order', async () => {
    const { dlq, broker, idsIn, ids } = await deadLettered(30);
    broker.refuseNextPublish('disk alarm');
    const error: unknown = await lastValueFrom(dlq.replay()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PublishError);
    expect(error).toMatchObject({ code: ErrorCode.PUBLISH_REFUSED });
    expect(idsIn('orders.dlq')).toEqual(ids.filter((id) => !idsIn('orders').includes(id)));
    expect(idsIn('orders.dlq')[0]).toBe(ids[0]);
  });

  it('replay - to an exchange no queue is bound to: every copy is unroutable, counted failed, and the dead letters stay in order', async () => {
    const { dlq, broker, idsIn, ids } = await deadLettered(5);
    broker.declareExchange('events');
    expect(await lastValueFrom(dlq.replay({ to: 'exchange' }))).toMatchObject({ replayed: 0, failed: 5, total: 5 });
    expect(idsIn('orders.dlq')).toEqual(ids);
  });

  it('replay - `limit` replays the first ones and leaves the others untouched', async () => {
    const { dlq, idsIn, ids } = await deadLettered(10);
    expect(await lastValueFrom(dlq.replay({ limit: 4 }))).toMatchObject({ replayed: 4, total: 4 });
    expect(idsIn('orders')).toEqual(ids.slice(0, 4));
    expect(idsIn('orders.dlq')).toEqual(ids.slice(4));
  });

  it('replay - operations of one deadLetters run one after the other: a peek called during a replay sees what it left', async () => {
    const { dlq, ids } = await deadLettered(50);
    const replay = lastValueFrom(dlq.replay({ limit: 30 }));
    const peeked = await dlq.peek();
    await replay;
    expect(peeked.map((e) => e.messageId)).toEqual(ids.slice(30));
  });
});
