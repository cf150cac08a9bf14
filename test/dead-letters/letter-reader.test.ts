import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError } from '../../src/index.js';
import { MemoryDeadLetterSession } from '../../src/dead-letters/memory-dead-letter-queue.js';
import { LetterReader } from '../../src/dead-letters/letter-reader.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { uniqueName } from '../support/broker.js';

const brokers: string[] = [];
afterEach(() => {
  for (const name of brokers.splice(0)) MemoryBroker.reset(name);
});

/** A memory broker with queue `q` holding messages "0".."n-1". */
function queueOf(n: number, args: Record<string, unknown> = {}): MemoryBroker {
  const name = uniqueName('reader');
  brokers.push(name);
  const broker = MemoryBroker.named(name);
  broker.declareQueue('q', { durable: true, exclusive: false, autoDelete: false, arguments: args });
  for (let i = 0; i < n; i++) broker.publish('', 'q', Buffer.from(String(i)), {});
  return broker;
}

async function readAll(reader: LetterReader): Promise<string[]> {
  const read: string[] = [];
  for (let letter = await reader.next(); letter !== undefined; letter = await reader.next()) read.push(letter.body.toString());
  return read;
}

const contents = (broker: MemoryBroker): string[] => broker.peek('q').map((m) => m.body.toString());

describe('letter reader', () => {
  it('letter reader - reads exactly the first `max`, in order, across consumers of `batch`, and the broker delivers no more', async () => {
    const broker = queueOf(10);
    const session = new MemoryDeadLetterSession(broker, 'q');
    const reader = new LetterReader(session, 7, 3);
    expect(await readAll(reader)).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    await reader.stop();
    expect(broker.unackedCount('q')).toBe(7);
    expect(broker.queueDepth('q')).toBe(3);
    await session.release();
    expect(contents(broker)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('letter reader - acked letters leave; the release puts every other back where it was, across consumers', async () => {
    const broker = queueOf(10);
    const session = new MemoryDeadLetterSession(broker, 'q');
    const reader = new LetterReader(session, 10, 3);
    const acks: Promise<void>[] = [];
    for (let letter = await reader.next(); letter !== undefined; letter = await reader.next()) {
      if (['1', '4', '8'].includes(letter.body.toString())) acks.push(reader.ack(letter));
    }
    await reader.stop();
    await Promise.all(acks);
    broker.publish('', 'q', Buffer.from('new'), {});
    await session.release();
    expect(contents(broker)).toEqual(['0', '2', '3', '5', '6', '7', '9', 'new']);
  });

  it('letter reader - on a quorum queue, reading and acking the first 4 leaves the others undelivered: none counted, none lost', async () => {
    const broker = queueOf(10, { 'x-queue-type': 'quorum', 'x-delivery-limit': 0 });
    const session = new MemoryDeadLetterSession(broker, 'q');
    const reader = new LetterReader(session, 4, 3);
    const read: string[] = [];
    const acks: Promise<void>[] = [];
    for (let letter = await reader.next(); letter !== undefined; letter = await reader.next()) {
      read.push(letter.body.toString());
      acks.push(reader.ack(letter));
    }
    await reader.stop();
    await Promise.all(acks);
    await session.release();
    expect(read).toEqual(['0', '1', '2', '3']);
    const left = broker.peek('q');
    expect(left.map((m) => m.body.toString())).toEqual(['4', '5', '6', '7', '8', '9']);
    expect(left.every((m) => !m.redelivered && m.properties.headers?.['x-delivery-count'] === undefined)).toBe(true);
  });

  it('letter reader - a queue holding fewer than `max` (another reader took some) ends the read instead of waiting', async () => {
    const broker = queueOf(4);
    const session = new MemoryDeadLetterSession(broker, 'q');
    const reader = new LetterReader(session, 10, 3);
    const started = Date.now();
    expect(await readAll(reader)).toEqual(['0', '1', '2', '3']);
    expect(Date.now() - started).toBeLessThan(3_000);
    await reader.stop();
    await session.release();
    expect(contents(broker)).toEqual(['0', '1', '2', '3']);
  });

  it('letter reader - a queue deleted under it fails the read with a ConnectionError', async () => {
    const broker = queueOf(4);
    const session = new MemoryDeadLetterSession(broker, 'q');
    const reader = new LetterReader(session, 10, 2);
    await reader.next();
    broker.deleteQueue('q');
    await expect(readAll(reader)).rejects.toBeInstanceOf(ConnectionError);
    await session.release();
  });
});
