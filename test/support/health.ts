/**
 * The health tests' helpers: a log of what `bus.health$` emits, and the transitions of
 * `bus.health()` as scenarios over a {@link FaultInjector}, written once and run on memory://
 * by test/bus/health.test.ts and on RabbitMQ by test/broker/health.test.ts (the memory alarm,
 * which blocks the whole broker, by test/broker/health-alarm.serial.test.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { BusHealth, Event, EventBus, HealthStatus } from '../../src/index.js';
import { connectBus, names, orderEvent, teardown, waitFor, waitForCount } from './bus.js';
import type { FaultInjector } from './fault-injector.js';

/** The grace period of the scenarios: long enough to see `degraded` first, short enough for a test. */
export const GRACE_MS = 1_000;

/** One emission of `health$`, with the wall-clock time it arrived. */
export interface HealthEntry {
  readonly health: BusHealth;
  readonly at: number;
}

/** What `bus.health$` emitted since the log began (the replayed current one first). */
export interface HealthLog {
  readonly entries: readonly HealthEntry[];
  /** Whether health$ completed. */
  readonly completed: boolean;
  last(): BusHealth | undefined;
  /** `up → degraded → down`, for failure messages. */
  statuses(): string;
  /** Waits for an emission with `status` (and `where`) from entry `from` on; resolves with its entry. */
  waitFor(status: HealthStatus, options?: { where?: (health: BusHealth) => boolean; from?: number; timeoutMs?: number }): Promise<HealthEntry>;
}

/** Subscribes to `bus.health$` until the test ends. */
export function healthLog(bus: EventBus): HealthLog {
  const entries: HealthEntry[] = [];
  let completed = false;
  const subscription = bus.health$.subscribe({
    next: (health) => entries.push({ health, at: Date.now() }),
    complete: () => (completed = true),
  });
  teardown(() => subscription.unsubscribe());
  const find = (status: HealthStatus, where: (h: BusHealth) => boolean, from: number): HealthEntry | undefined =>
    entries.slice(from).find((e) => e.health.status === status && where(e.health));
  const log: HealthLog = {
    entries,
    get completed() {
      return completed;
    },
    last: () => entries.at(-1)?.health,
    statuses: () => entries.map((e) => e.health.status).join(' → '),
    waitFor: async (status, { where = () => true, from = 0, timeoutMs = 10_000 } = {}) => {
      await waitFor(() => find(status, where, from) !== undefined, {
        timeoutMs,
        description: `health$ to emit ${status} (emitted: ${log.statuses()}; last: ${JSON.stringify(log.last())})`,
      });
      return find(status, where, from) as HealthEntry;
    },
  };
  return log;
}

/** A bus consuming `order.created` into `handled`, up, with its health log. */
async function consumingBus(faults: FaultInjector, prefix: string, options: { publishTimeoutMs?: number } = {}) {
  const { exchange, queue } = names(prefix);
  const bus = await connectBus({ url: faults.url, exchange, queue, reconnectDelayMs: 100, healthGracePeriodMs: GRACE_MS, ...options });
  const handled: Event[] = [];
  bus.handle('order.created', (event) => void handled.push(event));
  await bus.ready();
  const log = healthLog(bus);
  expect(log.last()?.status).toBe('up');
  return { bus, queue, handled, log };
}

/**
 * The service queue deleted and declared again with other arguments: `degraded` while the bus keeps
 * trying, `down` (TOPOLOGY_FAILED in `lastError`) once that lasted the grace period, not before;
 * the queue deleted again: the bus declares it as it wants it, `up`, and consumes.
 */
export async function queueRedeclaredThenDeleted(faults: FaultInjector): Promise<void> {
  const { bus, queue, handled, log } = await consumingBus(faults, 'health-redeclared');

  await faults.redeclareQueue(queue, { 'x-max-length': 10 });
  const down = await log.waitFor('down', { where: (h) => h.consumer?.lastError?.code === 'TOPOLOGY_FAILED', timeoutMs: GRACE_MS + 10_000 });
  expect(down.health.consumer).toMatchObject({ status: 'failing', lastError: { code: 'TOPOLOGY_FAILED', message: expect.stringMatching(/queue/i) } });
  expect(down.health.reason).toMatch(/^TOPOLOGY_FAILED: .*grace period/);
  const before = log.entries.slice(0, log.entries.indexOf(down)).map((e) => e.health.status);
  expect(before.at(-1), `degraded before down (${log.statuses()})`).toBe('degraded');
  // Down at the end of the grace period, counted from when the trouble began: not before, and not much after.
  const troubleFor = down.at - Date.parse(down.health.since as string);
  expect(troubleFor).toBeGreaterThanOrEqual(GRACE_MS);
  expect(troubleFor).toBeLessThan(GRACE_MS + 2_000);
  expect(bus.health().status).toBe('down');

  await faults.deleteQueue(queue);
  await log.waitFor('up', { from: log.entries.indexOf(down), timeoutMs: 15_000 });
  // The last error stays, for whoever looks later.
  expect(bus.health()).toMatchObject({ status: 'up', consumer: { status: 'consuming', lastError: { code: 'TOPOLOGY_FAILED' } } });
  expect(bus.health()).not.toHaveProperty('reason');
  await bus.publish(orderEvent());
  await waitForCount(handled, 1, 'handled events');
}

/** `basic.cancel` from the broker, the queue kept: `degraded` (the consumer `starting`) until it consumes again, then `up`. */
export async function brokerCancelsConsumer(faults: FaultInjector): Promise<void> {
  const { bus, queue, handled, log } = await consumingBus(faults, 'health-cancel');
  const from = log.entries.length;

  await faults.cancelConsumers(queue);
  const restarting = await log.waitFor('degraded', { from, where: (h) => h.consumer?.status === 'starting' });
  expect(restarting.health.connection.status).not.toBe('disconnected'); // seen on the broker's side, not from the connection
  await log.waitFor('up', { from: log.entries.indexOf(restarting) });
  await bus.publish(orderEvent());
  await waitForCount(handled, 1, 'handled events');
  await waitFor(async () => (await faults.consumerCount(queue)) === 1, { description: `${queue} to have one consumer again` });
}

/**
 * A memory alarm: `degraded` with `publisher.blocked`, a publish held; never `down` for it, however
 * long it lasts (consuming goes on; the alarm ends by itself); cleared: `up`, the publish confirmed.
 */
export async function memoryAlarmDegrades(faults: FaultInjector): Promise<void> {
  const { bus, log } = await consumingBus(faults, 'health-alarm', { publishTimeoutMs: 30_000 });
  await bus.publish(orderEvent()); // RabbitMQ blocks a connection that publishes
  const from = log.entries.length;

  await faults.raiseMemoryAlarm();
  const held = bus.publish(orderEvent('created', { n: 2 }));
  held.catch(() => undefined);
  const degraded = await log.waitFor('degraded', { from, where: (h) => h.publisher.blocked });
  expect(degraded.health).toMatchObject({ connection: { status: 'blocked' }, reason: expect.stringMatching(/^blocked/) });
  const { buffered, unconfirmed } = bus.health().publisher;
  expect(buffered + unconfirmed).toBeGreaterThanOrEqual(1);
  await sleep(GRACE_MS * 1.5);
  expect(bus.health().status).toBe('degraded');

  await faults.clearMemoryAlarm();
  await log.waitFor('up', { from: log.entries.indexOf(degraded), timeoutMs: 15_000 });
  await held;
  expect(bus.health().publisher).toEqual({ buffered: 0, unconfirmed: 0, blocked: false });
}

/** `close()`: `down` at once, then health$ completes; a late subscriber gets the last `down` and the completion. */
export async function closeGoesDown(faults: FaultInjector): Promise<void> {
  const { bus, log } = await consumingBus(faults, 'health-close');
  const from = log.entries.length;

  const closed = bus.close();
  expect(bus.health()).toMatchObject({ status: 'down', reason: 'the bus is closing' });
  await closed;
  expect(log.entries[from]?.health).toMatchObject({ status: 'down', reason: 'the bus is closing' });
  expect(log.entries.slice(from).every((e) => e.health.status === 'down')).toBe(true);
  expect(log.last()).toMatchObject({ status: 'down', reason: 'the bus is closed', connection: { status: 'closed' }, consumer: { status: 'stopped' } });
  expect(log.completed).toBe(true);
  expect(bus.health().status).toBe('down');
  const late = healthLog(bus);
  expect(late.entries.map((e) => e.health)).toEqual([log.last()]);
  expect(late.completed).toBe(true);
}
