/**
 * The broker's record of dead-lettering (`x-death`), the same on RabbitMQ and
 * memory://: a delivery coming back from a delay queue carries it, which is
 * how the bus tells its own retries from a foreign publish.
 */
import { describe, expect, it } from 'vitest';
import { cleanupRetryQueues, collectSettlements, connectBus, names, orderEvent, rig, TRANSPORTS, waitForCount } from '../support/rig.js';

interface DeathEntry {
  readonly count: number;
  readonly reason: string;
  readonly queue: string;
  readonly exchange: string;
  readonly 'routing-keys': readonly string[];
}

describe.each(TRANSPORTS)('x-death (%s)', (kind) => {
  it('x-death - a retried delivery comes back from Q.retry.<ms> with x-death naming that queue, reason expired, from the broker alone (copies drop x- headers)', async () => {
    const { url } = await rig(kind);
    const { exchange, queue } = names('xdeath');
    cleanupRetryQueues(url, queue, [50]);
    const bus = await connectBus({ url, exchange, queue, retry: { attempts: 3, delaysMs: [50, 50] } });
    const settlements = collectSettlements(bus);
    bus.handle('order.created', () => {
      throw new Error('always');
    });
    await bus.ready();
    await bus.publish(orderEvent());
    await waitForCount(settlements, 3, 'settlements');

    const deaths = settlements.map((s) => s.delivery.properties.headers?.['x-death'] as DeathEntry[] | undefined);
    expect(deaths[0]).toBeUndefined();
    for (const index of [1, 2]) {
      const [latest, ...older] = deaths[index] ?? [];
      expect(latest).toMatchObject({ count: 1, reason: 'expired', queue: `${queue}.retry.50`, exchange: '', 'routing-keys': [`${queue}.retry.50`] });
      expect(older).toEqual([]);
      const headers = settlements[index]?.delivery.properties.headers;
      expect(headers?.['x-first-death-queue']).toBe(`${queue}.retry.50`);
      expect(headers?.['x-first-death-reason']).toBe('expired');
      expect(settlements[index]?.delivery.exchange).toBe('');
      expect(settlements[index]?.delivery.routingKey).toBe(queue);
      // The proof that it is our own copy: RabbitMQ let only our login user stamp its user-id (memory has no users).
      expect(settlements[index]?.delivery.properties.userId).toBe(kind === 'amqp' ? 'guest' : undefined);
    }
  });
});
