/**
 * `queueOptions.singleActiveConsumer`: two buses (two instances of one
 * service) on one queue; the broker delivers to one, the other stands by and
 * takes over when the first closes or loses its connection, without losing
 * or reordering events (prefetch 1: strict order).
 */
import { describe, expect, it, vi } from 'vitest';
import type { EventBus } from '../../src/index.js';
import { MemoryBroker, type ConnectionListener, type MemoryConnection } from '../../src/transport/memory/memory-broker.js';
import {
  collectSettlements,
  connectBus,
  gate,
  names,
  orderEvent,
  rig,
  statesOf,
  teardown,
  TRANSPORTS,
  type TransportKind,
  waitForCount,
  waitForReconnect,
} from '../support/rig.js';

/**
 * Where the active bus and the standby connect, and a cut of the active bus's
 * connections only: through a TCP proxy on RabbitMQ; on memory, the connections
 * opened after `watch()` (the active bus connects after it), dropped by the broker.
 */
async function failoverRig(kind: TransportKind): Promise<{ activeUrl: string; standbyUrl: string; watch(): void; cut(): void }> {
  const r = await rig(kind);
  if (kind === 'amqp') return { activeUrl: r.url, standbyUrl: r.directUrl, watch: () => undefined, cut: () => r.cut() };
  const broker = MemoryBroker.named(new URL(r.url).host);
  const watched: { connection: MemoryConnection; listener: ConnectionListener | undefined }[] = [];
  return {
    activeUrl: r.url,
    standbyUrl: r.url,
    watch: () => {
      const connect = broker.connect.bind(broker);
      const spy = vi.spyOn(broker, 'connect').mockImplementation((listener) => {
        const connection = connect(listener);
        watched.push({ connection, listener });
        return connection;
      });
      teardown(() => spy.mockRestore());
    },
    cut: () => {
      for (const { connection, listener } of watched.filter((w) => !w.connection.closed)) {
        broker.disconnect(connection);
        listener?.closedByBroker('CONNECTION_FORCED - cut by the test');
      }
    },
  };
}

/** The `n` of each event a bus handled, in order; the handler of `hold.n` waits for `hold.until`. */
function handledBy(bus: EventBus, hold?: { n: number; until: Promise<void> }): number[] {
  const handled: number[] = [];
  bus.handle('order.created', async (event) => {
    const n = Number((event.data as { n: number }).n);
    handled.push(n);
    if (n === hold?.n) await hold.until;
  });
  return handled;
}

const publishAll = async (bus: EventBus, from: number, to: number): Promise<void> => {
  for (let n = from; n <= to; n++) await bus.publish(orderEvent('created', { n }));
};

describe.each(TRANSPORTS)('single active consumer (%s)', (kind) => {
  describe.each(['quorum', 'classic'] as const)('on a %s queue', (type) => {
    const queueOptions = { type, singleActiveConsumer: true };

    it('single active consumer - one bus gets every event, the other stands by', async () => {
      const f = await failoverRig(kind);
      const { exchange, queue } = names('sac-one');
      const active = await connectBus({ url: f.activeUrl, exchange, queue, queueOptions });
      const standby = await connectBus({ url: f.standbyUrl, exchange, queue, queueOptions });
      const byActive = handledBy(active);
      await active.ready();
      const byStandby = handledBy(standby);
      await standby.ready();

      await publishAll(active, 1, 10);
      await waitForCount(byActive, 10, 'events on the active bus');

      expect(byActive).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(byStandby).toEqual([]);
    });

    it('single active consumer - the active bus closes mid-handler: the standby starts after its handler finished, and takes the rest in order', async () => {
      const f = await failoverRig(kind);
      const { exchange, queue } = names('sac-close');
      const standby = await connectBus({ url: f.standbyUrl, exchange, queue, queueOptions, prefetch: 1 });
      const active = await connectBus({ url: f.activeUrl, exchange, queue, queueOptions, prefetch: 1 });
      const release = gate();
      teardown(release.open);
      const byActive = handledBy(active, { n: 3, until: release.promise });
      await active.ready();
      const byStandby = handledBy(standby);
      await standby.ready();

      await publishAll(active, 1, 8);
      await waitForCount(byActive, 3, 'events on the active bus');
      const closed = active.close();
      // Had the close cancelled the broker consumer at once, the standby would be handling 4 by now, beside 3.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(byStandby).toEqual([]);
      release.open();
      await closed;
      await waitForCount(byStandby, 5, 'events on the standby');

      expect(byActive).toEqual([1, 2, 3]);
      expect(byStandby).toEqual([4, 5, 6, 7, 8]);
    });

    it('single active consumer - the active bus is cut mid-handler: the standby takes over from the event in flight, nothing lost or reordered; the cut bus comes back as the standby', async () => {
      const f = await failoverRig(kind);
      const { exchange, queue } = names('sac-cut');
      const standby = await connectBus({ url: f.standbyUrl, exchange, queue, queueOptions, prefetch: 1 });
      f.watch();
      const active = await connectBus({ url: f.activeUrl, exchange, queue, queueOptions, prefetch: 1, reconnectDelayMs: 100 });
      const states = statesOf(active);
      const never = gate();
      teardown(never.open); // the cut-off handler ends when the test does; its ack is dropped
      const byActive = handledBy(active, { n: 3, until: never.promise });
      await active.ready();
      const byStandby = handledBy(standby);
      const standbySettled = collectSettlements(standby);
      await standby.ready();

      await publishAll(standby, 1, 6);
      await waitForCount(byActive, 3, 'events on the active bus');
      const from = states.length;
      f.cut();
      await waitForCount(byStandby, 4, 'events on the standby');

      expect(byActive).toEqual([1, 2, 3]);
      expect(byStandby).toEqual([3, 4, 5, 6]);
      await waitForCount(standbySettled, 1, 'settlements on the standby');
      expect(standbySettled[0]?.delivery.redelivered).toBe(true); // 3, handed back by the cut
      await waitForReconnect(states, from);
      await active.ready();
      await publishAll(standby, 7, 8);
      await waitForCount(byStandby, 6, 'events on the standby');
      expect(byStandby).toEqual([3, 4, 5, 6, 7, 8]);
      expect(byActive).toEqual([1, 2, 3]);
    });
  });
});
