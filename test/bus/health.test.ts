import { describe, expect, it } from 'vitest';
import { type BusHealth, ConfigError, ConnectionError, ErrorCode, EventBus, type Event } from '../../src/index.js';
import { type HealthInputs, healthErrorOf, healthOf, sameHealth } from '../../src/bus/health.js';
import type { ConnectionState, ConsumerStatus } from '../../src/transport/transport.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { connectBus, expectRxError, gate, names, orderEvent, teardown, waitFor, waitForCount } from '../support/bus.js';
import { FAULT_TRANSPORTS } from '../support/fault-injector.js';
import { brokerCancelsConsumer, closeGoesDown, GRACE_MS, healthLog, memoryAlarmDegrades, queueRedeclaredThenDeleted } from '../support/health.js';
import { recordingLogger } from '../support/rig.js';
import { wrappedMemoryTransport } from '../support/wrapped-transport.js';

const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const CONNECTED: ConnectionState = { status: 'connected', url: 'amqp://app:***@rabbit' };
const CONSUMING: ConsumerStatus = { status: 'consuming' };
const TOPOLOGY = new ConnectionError(ErrorCode.TOPOLOGY_FAILED, 'Could not set up the consumer on queue "q": PRECONDITION_FAILED');
const FAILING: ConsumerStatus = { status: 'failing', error: TOPOLOGY, since: NOW - 5_000 };

/** The inputs of a connected, consuming bus, idle, with a 30 s grace period, and `change` over them. */
function inputs(change: Partial<HealthInputs> = {}): HealthInputs {
  return {
    connection: CONNECTED,
    consumer: CONSUMING,
    lastError: undefined,
    publisher: { buffered: 0, unconfirmed: 0, blocked: false },
    closing: false,
    troubleSince: undefined,
    now: NOW,
    gracePeriodMs: 30_000,
    inFlight: 0,
    lastDeliveryAt: undefined,
    ...change,
  };
}

const RECENT = NOW - 29_999;
const LONG_AGO = NOW - 30_000;

describe('health - healthOf', () => {
  const CASES: [name: string, change: Partial<HealthInputs>, status: BusHealth['status'], reason: RegExp | undefined][] = [
    ['connected and consuming', {}, 'up', undefined],
    ['publish-only and connected', { consumer: undefined }, 'up', undefined],
    ['connecting, within the grace period', { connection: { status: 'connecting' }, troubleSince: RECENT }, 'degraded', /^connecting/],
    ['connecting for the grace period', { connection: { status: 'connecting' }, troubleSince: LONG_AGO }, 'down', /^connecting.*30000 ms grace period/],
    ['disconnected, within the grace period', { connection: { status: 'disconnected', reason: 'ECONNRESET' }, troubleSince: RECENT }, 'degraded', /^disconnected: ECONNRESET$/],
    ['disconnected for the grace period', { connection: { status: 'disconnected', reason: 'ECONNRESET' }, troubleSince: LONG_AGO }, 'down', /^disconnected: ECONNRESET \(for longer/],
    ['publish-only, disconnected for the grace period', { consumer: undefined, connection: { status: 'disconnected', reason: 'x' }, troubleSince: LONG_AGO }, 'down', /^disconnected/],
    ['the consumer being established again', { consumer: { status: 'starting' }, troubleSince: RECENT }, 'degraded', /consumer is being established/],
    ['the consumer starting for the grace period', { consumer: { status: 'starting' }, troubleSince: LONG_AGO }, 'down', /consumer is being established/],
    ['the consumer failing, within the grace period', { consumer: FAILING, troubleSince: RECENT }, 'degraded', /^TOPOLOGY_FAILED: Could not set up/],
    ['the consumer failing for the grace period', { consumer: FAILING, troubleSince: LONG_AGO }, 'down', /^TOPOLOGY_FAILED: .*grace period\)$/],
    ['a failing consumer says more than a connection down', { consumer: FAILING, connection: { status: 'disconnected', reason: 'x' }, troubleSince: RECENT }, 'degraded', /^TOPOLOGY_FAILED/],
    ['the pipeline restarting', { connection: { status: 'degraded', reason: 'PIPELINE_STOPPED: boom; restarting in 100 ms' }, troubleSince: RECENT }, 'degraded', /^PIPELINE_STOPPED/],
    ['the pipeline failing for the grace period', { connection: { status: 'degraded', reason: 'PIPELINE_STOPPED: boom' }, troubleSince: LONG_AGO }, 'down', /^PIPELINE_STOPPED/],
    ['blocked by an alarm', { connection: { status: 'blocked', reason: 'low on memory' } }, 'degraded', /^blocked: low on memory$/],
    ['the publisher blocked, the combined state not saying so', { publisher: { buffered: 3, unconfirmed: 1, blocked: true } }, 'degraded', /^blocked/],
    ['closing', { closing: true }, 'down', /^the bus is closing$/],
    ['closed', { connection: { status: 'closed' }, consumer: { status: 'stopped' } }, 'down', /^the bus is closed$/],
    ['the consumer stopped while connected', { consumer: { status: 'stopped' } }, 'down', /^the consumer stopped$/],
    ['a grace period of 0: down at once', { connection: { status: 'disconnected', reason: 'x' }, troubleSince: NOW, gracePeriodMs: 0 }, 'down', /grace period/],
  ];

  it.each(CASES)('healthOf - %s', (_name, change, status, reason) => {
    const health = healthOf(inputs(change));
    expect(health.status).toBe(status);
    if (reason === undefined) expect(health).not.toHaveProperty('reason');
    else expect(health.reason).toMatch(reason);
  });

  it('healthOf - a trouble not dated yet is dated now (degraded, since now)', () => {
    const health = healthOf(inputs({ connection: { status: 'connecting' } }));
    expect(health).toMatchObject({ status: 'degraded', since: new Date(NOW).toISOString() });
  });

  it('healthOf - the snapshot: since while in trouble, the consumer with its last error, the counters, times as ISO-8601; JSON as is', () => {
    const lastError = healthErrorOf(FAILING as Extract<ConsumerStatus, { status: 'failing' }>);
    const health = healthOf(
      inputs({ consumer: FAILING, lastError, troubleSince: RECENT, inFlight: 3, lastDeliveryAt: NOW - 1_000, publisher: { buffered: 2, unconfirmed: 5, blocked: false } }),
    );
    expect(health).toEqual({
      status: 'degraded',
      reason: `TOPOLOGY_FAILED: ${TOPOLOGY.message}`,
      since: new Date(RECENT).toISOString(),
      connection: CONNECTED,
      consumer: { status: 'failing', lastError: { code: 'TOPOLOGY_FAILED', message: TOPOLOGY.message, at: '2026-01-01T11:59:55.000Z' } },
      publisher: { buffered: 2, unconfirmed: 5, blocked: false },
      inFlight: 3,
      lastDeliveryAt: '2026-01-01T11:59:59.000Z',
    });
    expect(JSON.parse(JSON.stringify(health))).toEqual(health);
    expect(Object.isFrozen(health)).toBe(true);
  });

  it('healthOf - a publish-only bus has no consumer field; up has no reason and no since', () => {
    const health = healthOf(inputs({ consumer: undefined }));
    expect(Object.keys(health).sort()).toEqual(['connection', 'inFlight', 'publisher', 'status']);
  });

  it('healthOf - the last error stays once the consumer consumes again', () => {
    const lastError = healthErrorOf(FAILING as Extract<ConsumerStatus, { status: 'failing' }>);
    expect(healthOf(inputs({ lastError }))).toMatchObject({ status: 'up', consumer: { status: 'consuming', lastError: { code: 'TOPOLOGY_FAILED' } } });
  });

  it('sameHealth - counters do not make a change (health$ does not emit per delivery); blocked, status and the consumer do', () => {
    const base = healthOf(inputs());
    expect(sameHealth(base, healthOf(inputs({ inFlight: 7, lastDeliveryAt: NOW, publisher: { buffered: 9, unconfirmed: 4, blocked: false } })))).toBe(true);
    expect(sameHealth(base, healthOf(inputs({ publisher: { buffered: 0, unconfirmed: 0, blocked: true } })))).toBe(false);
    expect(sameHealth(base, healthOf(inputs({ consumer: { status: 'starting' } })))).toBe(false);
    expect(sameHealth(base, healthOf(inputs({ connection: { status: 'connected', url: 'amqp://other' }, consumer: CONSUMING })))).toBe(true);
    const degraded = healthOf(inputs({ connection: { status: 'disconnected', reason: 'a' }, troubleSince: RECENT }));
    expect(sameHealth(degraded, healthOf(inputs({ connection: { status: 'disconnected', reason: 'b' }, troubleSince: RECENT })))).toBe(false);
    expect(sameHealth(degraded, healthOf(inputs({ connection: { status: 'disconnected', reason: 'a' }, troubleSince: LONG_AGO })))).toBe(false);
  });
});

describe('health - option healthGracePeriodMs', () => {
  it.each([[-1], [1.5], ['30s'], [Number.NaN], [2 ** 31]])('health - healthGracePeriodMs %j is refused with INVALID_OPTIONS', async (value) => {
    const error = await expectRxError(
      () => EventBus.connect({ url: 'memory://health-options', healthGracePeriodMs: value as number }),
      ConfigError,
      ErrorCode.INVALID_OPTIONS,
    );
    expect(error.message).toMatch(/^EventBus option healthGracePeriodMs must be an integer from 0 to 2147483647 milliseconds/);
  });
});

const [, memoryFaults] = FAULT_TRANSPORTS.find(([kind]) => kind === 'memory') ?? [];

describe('health - transitions (memory)', () => {
  const faults = () => (memoryFaults as NonNullable<typeof memoryFaults>)();

  it('health - a queue re-declared with other arguments: degraded, then down (TOPOLOGY_FAILED) at the grace period; deleted again: up', () =>
    queueRedeclaredThenDeleted(faults()));

  it('health - basic.cancel from the broker: degraded (consumer starting) until it consumes again, then up', () => brokerCancelsConsumer(faults()));

  it('health - a memory alarm: degraded with publisher.blocked, never down for it; cleared: up', () => memoryAlarmDegrades(faults()));

  it('health - close(): down at once, health$ completes, a late subscriber gets the last down', () => closeGoesDown(faults()));

  it('health - the connection dropped by the broker: degraded (disconnected) until reconnected, then up', async () => {
    const injector = faults();
    const { exchange, queue } = names('health-drop');
    const bus = await connectBus({ url: injector.url, exchange, queue, healthGracePeriodMs: GRACE_MS });
    bus.handle('order.*', () => undefined);
    await bus.ready();
    const log = healthLog(bus);
    await injector.dropConnections();
    const degraded = await log.waitFor('degraded', { where: (h) => h.connection.status === 'disconnected' });
    expect(degraded.health.reason).toMatch(/^disconnected: CONNECTION_FORCED/);
    await log.waitFor('up', { from: log.entries.indexOf(degraded) });
    expect(bus.health().consumer?.status).toBe('consuming');
  });
});

describe('health - the bus (memory)', () => {
  it('health - a publish-only bus has no consumer, and is up when connected', async () => {
    const { exchange } = names('health-publish-only');
    const bus = await connectBus({ url: `memory://${exchange}`, exchange });
    expect(bus.health()).toEqual({
      status: 'up',
      connection: { status: 'connected', url: `memory://${exchange}` },
      publisher: { buffered: 0, unconfirmed: 0, blocked: false },
      inFlight: 0,
    });
  });

  it('health - health$ does not emit per delivery; health() reads inFlight and lastDeliveryAt fresh', async () => {
    const { exchange, queue } = names('health-hot');
    const bus = await connectBus({ url: `memory://${exchange}`, exchange, queue });
    const held = gate();
    const handled: Event[] = [];
    bus.handle('order.created', (event) => void handled.push(event));
    bus.handle('order.paid', () => held.promise);
    await bus.ready();
    const log = healthLog(bus);
    expect(bus.health()).not.toHaveProperty('lastDeliveryAt');

    const before = Date.now();
    for (let i = 0; i < 50; i++) await bus.publish(orderEvent());
    await waitForCount(handled, 50, 'handled events');
    const at = Date.parse(bus.health().lastDeliveryAt as string);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());

    await bus.publish(orderEvent('paid'));
    await waitFor(() => bus.health().inFlight === 1, { description: 'the held delivery in flight' });
    held.open();
    await waitFor(() => bus.health().inFlight === 0, { description: 'no delivery in flight' });
    expect(log.entries.map((e) => e.health.status)).toEqual(['up']);
  });

  it('health - a health$ observer that throws is logged; the others still hear every change', async () => {
    const { exchange, queue } = names('health-throws');
    const logger = recordingLogger();
    const bus = await connectBus({ url: `memory://${exchange}`, exchange, queue, logger });
    bus.health$.subscribe(() => {
      throw new Error('observer bug');
    });
    const log = healthLog(bus);
    const broker = MemoryBroker.named(exchange);
    teardown(() => broker.unblock());
    broker.block();
    broker.unblock();
    expect(log.entries.map((e) => e.health.status)).toEqual(['up', 'degraded', 'up']);
    expect(logger.lines.filter((l) => l.message === 'an observer of health$ threw; the bus goes on').length).toBeGreaterThanOrEqual(3);
  });

  it('health - a transport of your own without publisherStatus reports zeros; one whose publisherStatus throws, too', async () => {
    const { transport, brokerName } = wrappedMemoryTransport('health-custom', {});
    const bus = await EventBus.connect({ transport, queue: 'q' });
    teardown(() => bus.close());
    MemoryBroker.named(brokerName).block();
    teardown(() => MemoryBroker.named(brokerName).unblock());
    const publish = bus.publish(orderEvent());
    publish.catch(() => undefined);
    expect(bus.health()).toMatchObject({ status: 'degraded', connection: { status: 'blocked' }, publisher: { buffered: 0, unconfirmed: 0, blocked: false } });
    Object.assign(transport, {
      publisherStatus: () => {
        throw new Error('hostile');
      },
    });
    expect(bus.health().publisher).toEqual({ buffered: 0, unconfirmed: 0, blocked: false });
    MemoryBroker.named(brokerName).unblock();
    await publish;
  });
});

describe('health - close (memory)', () => {
  it('health - an observer that calls close() when it hears down gets the close under way, not a second one', async () => {
    const { exchange, queue } = names('health-reenter');
    const logger = recordingLogger();
    const bus = await connectBus({ url: `memory://${exchange}`, exchange, queue, logger });
    let again: Promise<void> | undefined;
    bus.health$.subscribe((health) => {
      if (health.status === 'down') again ??= bus.close();
    });
    const first = bus.close();
    await first;
    expect(again).toBe(first);
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});
