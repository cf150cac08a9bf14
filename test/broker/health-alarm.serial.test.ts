/**
 * bus.health() during a RabbitMQ memory alarm (`rabbitmqctl set_vm_memory_high_watermark`, as in
 * close-deadline.serial.test.ts): serial, because the alarm blocks every publishing connection of the
 * broker. The same scenario runs on memory:// in test/bus/health.test.ts.
 */
import { describe, it } from 'vitest';
import { FAULT_TRANSPORTS } from '../support/fault-injector.js';
import { memoryAlarmDegrades } from '../support/health.js';

const [, amqpFaults] = FAULT_TRANSPORTS.find(([kind]) => kind === 'amqp') ?? [];

describe('health alarm (amqp)', () => {
  it('health - a memory alarm: degraded with publisher.blocked, never down for it; cleared: up', () =>
    memoryAlarmDegrades((amqpFaults as NonNullable<typeof amqpFaults>)()), 30_000);
});
