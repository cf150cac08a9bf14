import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode } from '../../src/index.js';
import { MemoryDeadLetterSession } from '../../src/dead-letters/memory-dead-letter-queue.js';
import { WHOLE_QUEUE_MAX, WholeQueueReader } from '../../src/dead-letters/whole-queue-reader.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { uniqueName } from '../support/broker.js';

const brokers: string[] = [];
afterEach(() => {
  for (const name of brokers.splice(0)) MemoryBroker.reset(name);
});

/** A memory broker with quorum queue `q` holding messages "0".."n-1". */
function quorumQueueOf(n: number): MemoryBroker {
  const name = uniqueName('whole');
  brokers.push(name);
  const broker = MemoryBroker.named(name);
  broker.declareQueue('q', { durable: true, exclusive: false, autoDelete: false, arguments: { 'x-queue-type': 'quorum' } });
  for (let i = 0; i < n; i++) broker.publish('', 'q', Buffer.from(String(i)), {});
  return broker;
}

const contents = (broker: MemoryBroker): string[] => broker.peek('q').map((m) => m.body.toString());
const counts = (broker: MemoryBroker): unknown[] => broker.peek('q').map((m) => m.properties.headers?.['x-delivery-count']);

describe('whole queue reader', () => {
  it('whole queue reader - a caller that takes 2 still leaves the whole queue held, then given back in order, each counted once', async () => {
    const broker = quorumQueueOf(10);
    const session = new MemoryDeadLetterSession(broker, 'q');
    const reader = await WholeQueueReader.open(session, 'q', 'peek');
    expect((await reader.next())?.body.toString()).toBe('0');
    expect((await reader.next())?.body.toString()).toBe('1');
    await reader.stop();
    expect(broker.unackedCount('q')).toBe(10);
    expect(broker.queueDepth('q')).toBe(0);
    await session.release();
    expect(contents(broker)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(counts(broker)).toEqual(Array(10).fill(1));
  });

  it('whole queue reader - reads to the end; acked letters leave; one arriving during the read is held, not handed out, and goes back last', async () => {
    const broker = quorumQueueOf(5);
    const session = new MemoryDeadLetterSession(broker, 'q');
    const reader = await WholeQueueReader.open(session, 'q', 'purge');
    const read: string[] = [];
    broker.publish('', 'q', Buffer.from('new'), {});
    for (let letter = await reader.next(); letter !== undefined; letter = await reader.next()) {
      read.push(letter.body.toString());
      if (letter.body.toString() === '2') await reader.ack(letter);
    }
    await reader.stop();
    await session.release();
    expect(read).toEqual(['0', '1', '2', '3', '4']);
    expect(contents(broker)).toEqual(['0', '1', '3', '4', 'new']);
  });

  it(`whole queue reader - a queue of more than ${WHOLE_QUEUE_MAX} messages is refused (UNSAFE_READ) before anything is read`, async () => {
    const broker = quorumQueueOf(WHOLE_QUEUE_MAX + 1);
    const session = new MemoryDeadLetterSession(broker, 'q');
    const error: unknown = await WholeQueueReader.open(session, 'q', 'stats').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: ErrorCode.UNSAFE_READ });
    expect((error as Error).message).toMatch(/holds 65536 messages.*65535 messages at most.*without a filter.*management UI/);
    expect(broker.unackedCount('q')).toBe(0);
    await session.release();
  });

  it('whole queue reader - a queue with another consumer is refused: what it holds would come back apart', async () => {
    const broker = quorumQueueOf(3);
    const other = new MemoryDeadLetterSession(broker, 'q');
    await other.consume(
      1,
      () => {},
      () => {},
    );
    const session = new MemoryDeadLetterSession(broker, 'q');
    await expect(WholeQueueReader.open(session, 'q', 'stats')).rejects.toMatchObject({
      code: ErrorCode.UNSAFE_READ,
      message: expect.stringMatching(/has 1 consumer/) as string,
    });
    await session.release();
    await other.release();
  });
});
