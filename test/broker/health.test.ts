/**
 * bus.health() on RabbitMQ: the consumer watched on the broker's side (a queue re-declared under
 * the bus, a basic.cancel), and close. The same scenarios run on memory:// in test/bus/health.test.ts;
 * the memory alarm, which blocks the whole broker, in health-alarm.serial.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { FAULT_TRANSPORTS } from '../support/fault-injector.js';
import { brokerCancelsConsumer, closeGoesDown, queueRedeclaredThenDeleted } from '../support/health.js';
import { connectBus, names } from '../support/bus.js';

const [, amqpFaults] = FAULT_TRANSPORTS.find(([kind]) => kind === 'amqp') ?? [];

describe('health (amqp)', () => {
  const faults = () => (amqpFaults as NonNullable<typeof amqpFaults>)();

  it('health - a queue re-declared with other arguments: degraded, then down (TOPOLOGY_FAILED) at the grace period; deleted again: up', () =>
    queueRedeclaredThenDeleted(faults()));

  it('health - basic.cancel from the broker: degraded (consumer starting) until it consumes again, then up', () => brokerCancelsConsumer(faults()));

  it('health - close(): down at once, health$ completes, a late subscriber gets the last down', () => closeGoesDown(faults()));

  it('health - a publish-only bus: no consumer, up, its publisher counted', async () => {
    const { exchange } = names('health-publish-only');
    const bus = await connectBus({ url: faults().url, exchange });
    const health = bus.health();
    expect(health).toMatchObject({ status: 'up', connection: { status: 'connected' }, publisher: { buffered: 0, unconfirmed: 0, blocked: false } });
    expect(health).not.toHaveProperty('consumer');
    expect(JSON.stringify(health)).not.toMatch(/:guest@/); // no password
  });
});
