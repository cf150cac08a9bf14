/**
 * The end probe of a RabbitMQ stream read (StreamEndProbe) on a fake amqplib
 * connection, in virtual time: amqplib hands out the deliveries that came in
 * the same socket read as `basic.consume-ok` before `consume()`'s promise
 * resolves, as it does against RabbitMQ when the probe starts at `last`.
 */
import { EventEmitter } from 'node:events';
import type { ConsumeMessage } from 'amqplib';
import { BehaviorSubject } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../src/logger.js';
import type { AmqpConnection } from '../../../src/transport/amqp/amqp-connection.js';
import { PROBE_QUIET_MS, StreamEndProbe } from '../../../src/transport/amqp/stream-end-probe.js';

type Deliver = (message: ConsumeMessage | null) => void;

/** A channel whose consume hands `burst` to the consumer before it resolves, and keeps the consumer for later deliveries. */
class FakeChannel extends EventEmitter {
  deliver: Deliver = () => undefined;

  /** `refusal`: the broker's reply code to basic.consume, which then fails. */
  constructor(
    private readonly burst: readonly number[],
    private readonly refusal?: number,
  ) {
    super();
  }

  checkQueue = (): Promise<object> => Promise.resolve({});
  prefetch = (): Promise<object> => Promise.resolve({});
  ack = (): void => undefined;
  close = (): Promise<void> => Promise.resolve();

  consume = (_queue: string, onMessage: Deliver): Promise<object> => {
    if (this.refusal !== undefined)
      return Promise.reject(Object.assign(new Error(`Operation failed: BasicConsume; ${this.refusal}`), { code: this.refusal }));
    this.deliver = onMessage;
    for (const offset of this.burst) onMessage(messageAt(offset));
    return Promise.resolve({ consumerTag: 'probe' });
  };

  /** Delivers these offsets now. */
  send(...offsets: number[]): void {
    for (const offset of offsets) this.deliver(messageAt(offset));
  }
}

function messageAt(offset: number): ConsumeMessage {
  return { content: Buffer.from(''), fields: { deliveryTag: offset + 1 }, properties: { headers: { 'x-stream-offset': offset } } } as never;
}

/** A connection whose model opens `channels` in turn; `next()` swaps in a new model, as a reconnect does. */
function fakeConnection(channels: FakeChannel[]) {
  const model = () => ({ createChannel: () => Promise.resolve(channels.shift()) });
  const current = new BehaviorSubject<unknown>(model());
  const connection = {
    connection$: current,
    get connection() {
      return current.value;
    },
  } as unknown as AmqpConnection;
  return { connection, down: () => current.next(undefined), up: () => current.next(model()) };
}

const REOPEN_DELAY_MS = 100;

function probeOn(connection: AmqpConnection) {
  const ends: number[] = [];
  const failures: unknown[] = [];
  const probe = new StreamEndProbe(
    { stream: 's', connection, connected: Promise.resolve(), logger: silentLogger, reopenDelayMs: REOPEN_DELAY_MS, closeTimeoutMs: 100 },
    (end) => ends.push(end),
    (error) => failures.push(error),
  );
  return { ends, failures, probe };
}

describe('stream end probe', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('stream end probe - deliveries that come with consume-ok: it still concludes only after 200 ms without one', async () => {
    const channel = new FakeChannel([0, 1, 2, 3, 4]);
    const { ends, probe } = probeOn(fakeConnection([channel]).connection);
    await vi.advanceTimersByTimeAsync(150);
    channel.send(5, 6);
    await vi.advanceTimersByTimeAsync(150); // 300 ms after the first burst, 150 ms after the last delivery
    channel.send(7);
    await vi.advanceTimersByTimeAsync(PROBE_QUIET_MS - 1);
    expect(ends).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(ends).toEqual([7]);
    probe.stop();
  });

  it('stream end probe - the connection lost mid-probe: the next connection probes again, and the end is the highest offset seen on either', async () => {
    const [first, second] = [new FakeChannel([0, 1, 2]), new FakeChannel([2, 3])];
    const network = fakeConnection([first, second]);
    const { ends, probe } = probeOn(network.connection);
    await vi.advanceTimersByTimeAsync(50);
    network.down();
    first.emit('close');
    await vi.advanceTimersByTimeAsync(1_000); // no conclusion while no channel is open
    expect(ends).toEqual([]);
    network.up();
    await vi.advanceTimersByTimeAsync(100);
    second.send(4);
    await vi.advanceTimersByTimeAsync(PROBE_QUIET_MS - 1);
    expect(ends).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(ends).toEqual([4]);
    probe.stop();
  });

  it('stream end probe - refused with 406 (no replica running on the node yet, after a restart): retried every reopenDelayMs, not less and less often', async () => {
    const refused = Array.from({ length: 4 }, () => new FakeChannel([], 406));
    const { ends, failures, probe } = probeOn(fakeConnection([...refused, new FakeChannel([0, 1, 2, 3])]).connection);
    // Consumed at 0, 100, 200, 300 ms (refused) and 400 ms; the burst over 200 ms later. Backing off would consume at 1,500 ms.
    await vi.advanceTimersByTimeAsync(4 * REOPEN_DELAY_MS + PROBE_QUIET_MS);
    expect(ends).toEqual([3]);
    expect(failures).toEqual([]);
    probe.stop();
  });

  it('stream end probe - refused with another code (404: the stream is gone): fails at once', async () => {
    const { ends, failures } = probeOn(fakeConnection([new FakeChannel([], 404)]).connection);
    await vi.advanceTimersByTimeAsync(0);
    expect(ends).toEqual([]);
    expect(failures).toHaveLength(1);
    expect(String(failures[0])).toMatch(/Could not read the history stream "s": Operation failed: BasicConsume; 404/);
  });
});
