/**
 * The memory transport's history log, below the bus: offsets, retention,
 * prefetch and acks, completion, declaration rules. Records are read with
 * `MemoryTransport.history(spec).read(...)` as the bus reads them.
 */
import type { Subscription } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ConnectionError, isRxPubsubError } from '../../src/errors.js';
import { advanceVirtualTime } from '../../src/testing/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import type { HistoryLog, HistoryReadOptions, HistoryRecord, HistorySpec } from '../../src/transport/transport.js';
import { EXCHANGE, memoryTransports, turns, virtualClock } from '../support/memory.js';

const { brokerName, open, unsubscribeAfterTest } = memoryTransports('history-log');

function spec(change: Partial<HistorySpec> = {}): HistorySpec {
  return { exchange: EXCHANGE, stream: 'events.history', maxAge: '7D', maxLengthBytes: undefined, maxSegmentSizeBytes: undefined, ...change };
}

/** A transport on a fresh broker, its history declared. */
async function declaredLog(change: Partial<HistorySpec> = {}): Promise<{ log: HistoryLog; write: (key: string, body: string) => void; name: string }> {
  const name = brokerName();
  const transport = await open(name);
  const log = transport.history(spec(change));
  await log.declare();
  const write = (key: string, body: string): void => void transport.broker.publish(EXCHANGE, key, Buffer.from(body), {});
  return { log, write, name };
}

interface Reading {
  readonly records: HistoryRecord[];
  readonly state: { completed: boolean; error: unknown };
  readonly subscription: Subscription;
}

/** Subscribes to a read without acking anything: the test acks. */
function reading(log: HistoryLog, options: Partial<HistoryReadOptions> = {}): Reading {
  const records: HistoryRecord[] = [];
  const state = { completed: false, error: undefined as unknown };
  const subscription = log.read({ from: 'first', prefetch: 100, follow: false, ...options }).subscribe({
    next: (record) => records.push(record),
    error: (error: unknown) => (state.error = error),
    complete: () => (state.completed = true),
  });
  unsubscribeAfterTest(subscription);
  return { records, state, subscription };
}

const bodies = (records: readonly HistoryRecord[]): string[] => records.map((r) => r.body.toString());

describe('memory history log', () => {
  it('memory history - every message published to the exchange is written at the next offset, from 0', async () => {
    const { log, write } = await declaredLog();
    for (const body of ['a', 'b', 'c']) write('order.created', body);
    const { records, state } = reading(log);
    await turns();
    expect(records.map((r) => [r.offset, r.routingKey, r.exchange, r.body.toString()])).toEqual([
      [0, 'order.created', EXCHANGE, 'a'],
      [1, 'order.created', EXCHANGE, 'b'],
      [2, 'order.created', EXCHANGE, 'c'],
    ]);
    expect(state.completed).toBe(true);
  });

  it('memory history - records go out on a later turn, never inside subscribe', async () => {
    const { log, write } = await declaredLog();
    write('order.created', 'a');
    const { records } = reading(log);
    expect(records).toHaveLength(0);
    await turns(1);
    expect(records).toHaveLength(1);
  });

  it('memory history - prefetch bounds the records not yet acked; each ack lets one more come', async () => {
    const { log, write } = await declaredLog();
    for (let i = 0; i < 20; i++) write('order.created', String(i));
    const { records, state } = reading(log, { prefetch: 5 });
    await turns();
    expect(bodies(records)).toEqual(['0', '1', '2', '3', '4']);
    records[0]?.ack();
    records[1]?.ack();
    records[1]?.ack(); // twice is once
    await turns();
    expect(records).toHaveLength(7);
    // Acking all that came, turn after turn, reads the rest: at most 5 at a time.
    for (let round = 0; round < 10 && !state.completed; round++) {
      const before = records.length;
      for (const record of records) record.ack();
      await turns();
      expect(records.length - before).toBeLessThanOrEqual(5);
    }
    expect(records).toHaveLength(20);
    expect(state.completed).toBe(true);
  });

  it('memory history - without follow the read ends at the last message of its start; with follow it goes on', async () => {
    const { log, write } = await declaredLog();
    write('order.created', 'a');
    const bounded = reading(log);
    const following = reading(log, { follow: true });
    write('order.created', 'b'); // written after both reads started
    await turns();
    expect(bodies(bounded.records)).toEqual(['a']);
    expect(bounded.state.completed).toBe(true);
    expect(bodies(following.records)).toEqual(['a', 'b']);
    expect(following.state.completed).toBe(false);
  });

  it('memory history - x-max-length-bytes drops the oldest messages; offsets go on counting', async () => {
    const { log, write } = await declaredLog({ maxLengthBytes: 10 });
    for (let i = 0; i < 6; i++) write('order.created', `msg${i}`); // 4 bytes each: 2 fit
    const { records } = reading(log);
    await turns();
    expect(records.map((r) => [r.offset, r.body.toString()])).toEqual([
      [4, 'msg4'],
      [5, 'msg5'],
    ]);
  });

  it("memory history - x-max-age drops what is older, on the broker's clock", async () => {
    const { log, write, name } = await declaredLog({ maxAge: '1h' });
    const scheduler = virtualClock(MemoryBroker.named(name));
    write('order.created', 'old');
    await advanceVirtualTime(scheduler, 30 * 60_000);
    write('order.created', 'newer');
    await advanceVirtualTime(scheduler, 45 * 60_000); // 'old' is 75 minutes old, 'newer' 45
    const { records, state } = reading(log);
    await advanceVirtualTime(scheduler, 1);
    expect(records.map((r) => [r.offset, r.body.toString()])).toEqual([[1, 'newer']]);
    expect(state.completed).toBe(true);
  });

  it('memory history - a read of a stream deleted meanwhile errors with TOPOLOGY_FAILED', async () => {
    const { log, name } = await declaredLog();
    MemoryBroker.named(name).deleteQueue('events.history');
    const { state } = reading(log);
    expect(isRxPubsubError(state.error, 'TOPOLOGY_FAILED')).toBe(true);
    expect(state.error).toBeInstanceOf(ConnectionError);
  });

  it('memory history - a stream must be durable, not exclusive, not auto-delete, with a max-age RabbitMQ reads (PRECONDITION_FAILED)', async () => {
    const broker = MemoryBroker.named(brokerName());
    const stream = { durable: true, exclusive: false, autoDelete: false, arguments: { 'x-queue-type': 'stream' } };
    expect(() => broker.declareQueue('s1', { ...stream, durable: false })).toThrow(/'non-durable' for a stream queue/);
    expect(() => broker.declareQueue('s2', { ...stream, exclusive: true })).toThrow(/'exclusive' for a stream queue/);
    expect(() => broker.declareQueue('s3', { ...stream, arguments: { ...stream.arguments, 'x-max-age': '7 days' } })).toThrow(/invalid x-max-age "7 days"/);
    broker.declareQueue('s4', stream);
    expect(broker.queueDepth('s4')).toBe(0);
  });
});
