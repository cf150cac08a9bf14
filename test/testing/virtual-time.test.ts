/**
 * A real bus on memory:// in virtual time. `testBus({ scheduler })` puts the
 * broker (dispatch turns, TTLs of the retry delay queues, delayDeliveries,
 * reconnects, held publishes' timeouts) and the handler timeouts on one
 * TestScheduler; `advanceVirtualTime` moves it forward and lets the bus's
 * Promises (publish, the confirmed copy before an ack) settle between frames.
 * `TestScheduler.run()` alone cannot drive a bus: its flush is synchronous,
 * and a settlement waits for Promises.
 */
import { bufferTime, map, NEVER, of, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createEvent, DeadLetterHeader, ErrorCode, type EventBus, isRxPubsubError } from '../../src/index.js';
import { advanceVirtualTime, memoryBroker, settlementLetter, testBus, type TestBusOptions } from '../../src/testing/index.js';

const created = createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1' } });
const opened: EventBus[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((bus) => bus.close()));
});

function virtualScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

async function virtualBus(scheduler: TestScheduler, options: TestBusOptions<[]> = {}): Promise<{ bus: EventBus; settled: [frame: number, letter: string][] }> {
  const bus = await testBus({ queue: 'billing', scheduler, ...options });
  opened.push(bus);
  const settled: [number, string][] = [];
  bus.settlements$.pipe(map((s) => [scheduler.now(), settlementLetter(s)] as [number, string])).subscribe((entry) => settled.push(entry));
  return { bus, settled };
}

describe('virtual time (memory)', () => {
  it('virtual time - a handler timeout (1 s) then a retry delay (5 s) pass in virtual time: retried at 1000, acked at 6000', async () => {
    const scheduler = virtualScheduler();
    const { bus, settled } = await virtualBus(scheduler, { handlerTimeoutMs: 1_000, retry: { attempts: 3, delaysMs: 5_000 } });
    const calls: number[] = [];
    bus.handle('order.*', () => (calls.push(scheduler.now()), calls.length === 1 ? NEVER : of(true)));
    await bus.ready();
    const started = performance.now();

    await bus.publish(created);
    await advanceVirtualTime(scheduler, 999);
    expect(settled).toEqual([]);
    await advanceVirtualTime(scheduler, 1);
    expect(settled).toEqual([[1_000, 'r']]);
    expect(memoryBroker(bus).queueDepth('billing.retry.5000')).toBe(1);
    await advanceVirtualTime(scheduler, 10_000);

    expect(calls).toEqual([0, 6_000]);
    expect(settled).toEqual([
      [1_000, 'r'],
      [6_000, 'a'],
    ]);
    expect(memoryBroker(bus).queueDepth('billing.retry.5000')).toBe(0);
    expect(performance.now() - started).toBeLessThan(1_000); // 6 s of handler and retry time, without waiting
  });

  it('virtual time - out of attempts, the delivery lands in Q.dlq at the last timeout, with its reason headers', async () => {
    const scheduler = virtualScheduler();
    const { bus, settled } = await virtualBus(scheduler, { handlerTimeoutMs: 200, retry: { attempts: 2, delaysMs: 1_000 } });
    bus.handle('order.created', () => NEVER);
    await bus.ready();

    await bus.publish(created);
    await advanceVirtualTime(scheduler, 5_000);

    expect(settled).toEqual([
      [200, 'r'],
      [1_400, 'd'],
    ]);
    const [dead] = memoryBroker(bus).peek('billing.dlq');
    expect(dead?.properties.headers).toMatchObject({
      [DeadLetterHeader.ERROR]: 'order.created: handler for "order.created" timed out after 200 ms',
      [DeadLetterHeader.PATTERNS]: 'order.created',
      [DeadLetterHeader.ATTEMPTS]: 2,
    });
    expect(JSON.parse(dead!.body.toString('utf8'))).toEqual(created);
  });

  it('virtual time - on$ windows (bufferTime on the same scheduler) close in virtual time', async () => {
    const scheduler = virtualScheduler();
    const { bus } = await virtualBus(scheduler);
    const windows: string[][] = [];
    bus.on$('order.*').pipe(bufferTime(1_000, scheduler)).subscribe((events) => windows.push(events.map((e) => e.action)));
    await bus.ready();

    await bus.publish(created);
    await advanceVirtualTime(scheduler, 500);
    await bus.publish(createEvent({ domain: 'order', action: 'paid', data: {} }));
    await advanceVirtualTime(scheduler, 1_000);
    await bus.publish(createEvent({ domain: 'order', action: 'shipped', data: {} }));
    await advanceVirtualTime(scheduler, 1_000);

    expect(windows).toEqual([['created', 'paid'], ['shipped']]);
  });

  it('virtual time - delayDeliveries(250) delays each dispatch by 250 virtual ms', async () => {
    const scheduler = virtualScheduler();
    const { bus } = await virtualBus(scheduler);
    const calls: number[] = [];
    bus.handle('order.*', () => void calls.push(scheduler.now()));
    await bus.ready();
    memoryBroker(bus).delayDeliveries(250);

    await bus.publish(created);
    await advanceVirtualTime(scheduler, 100);
    await bus.publish(created);
    await advanceVirtualTime(scheduler, 1_000);

    // The second message became deliverable while the first turn was pending: it went out in that turn.
    expect(calls).toEqual([250, 250]);
  });

  it('virtual time - a publish held by a memory alarm times out after publishTimeoutMs of virtual time', async () => {
    const scheduler = virtualScheduler();
    const { bus } = await virtualBus(scheduler, { publishTimeoutMs: 2_000 });
    memoryBroker(bus).block();
    let rejected: unknown;
    const publishing = bus.publish(created).catch((error: unknown) => (rejected = error));

    await advanceVirtualTime(scheduler, 1_999);
    expect(rejected).toBeUndefined();
    await advanceVirtualTime(scheduler, 1);
    await publishing;
    expect(isRxPubsubError(rejected, ErrorCode.PUBLISH_TIMEOUT)).toBe(true);
    memoryBroker(bus).unblock();
  });

  it('virtual time - a failing handler with no retry is dead-lettered at the frame it fails', async () => {
    const scheduler = virtualScheduler();
    const { bus, settled } = await virtualBus(scheduler);
    bus.handle('order.*', () => throwError(() => new Error('card declined')));
    await bus.ready();
    await advanceVirtualTime(scheduler, 42);
    await bus.publish(created);
    await advanceVirtualTime(scheduler, 0);
    expect(settled).toEqual([[42, 'd']]);
  });
});

describe('advanceVirtualTime', () => {
  it('advanceVirtualTime - refuses a negative or infinite step', async () => {
    await expect(advanceVirtualTime(virtualScheduler(), -1)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(advanceVirtualTime(virtualScheduler(), Infinity)).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });
});
