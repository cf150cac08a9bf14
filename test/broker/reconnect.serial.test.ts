import { describe, expect, it } from 'vitest';
import type { ConnectionState, Event } from '../../src/index.js';
import { closeAllConnections } from '../support/broker.js';
import {
  amqpUrl,
  brokerView,
  collectSettlements,
  connectBus,
  names,
  orderEvent,
  teardown,
  TRANSPORTS,
  waitFor,
  waitForCount,
} from '../support/bus.js';

// Serial: closeAllConnections cuts every connection on the broker, so this file
// runs alone, after the parallel files (see vitest.config.ts).

/** Every status `bus.state$` goes through from now on. */
function collectStates(state$: { subscribe(next: (s: ConnectionState) => void): { unsubscribe(): void } }): string[] {
  const states: string[] = [];
  const subscription = state$.subscribe((s) => states.push(s.status));
  teardown(() => subscription.unsubscribe());
  return states;
}

describe('reconnect (amqp)', () => {
  it('reconnect - 200 events published across two connection cuts are all confirmed and all handled', async () => {
    const { exchange, queue } = names('reconnect');
    const bus = await connectBus({ url: amqpUrl(), exchange, queue, reconnectDelayMs: 200, publishTimeoutMs: 15_000 });
    const states = collectStates(bus.state$);
    const handled = new Set<string>();
    bus.handle('order.*', (event) => void handled.add(event.id));
    await bus.ready();

    // One publish every 5 ms while the cuts land (rabbitmqctl takes ~0.3 s), so some are in flight at
    // each cut and others are issued while the connection is down.
    const events = Array.from({ length: 200 }, (_, i) => orderEvent('created', { n: i }));
    const publishes: Promise<void>[] = [];
    const cuts: Promise<void>[] = [];
    const downs = (): number => states.filter((s) => s === 'disconnected').length;
    for (const [i, event] of events.entries()) {
      publishes.push(bus.publish(event));
      if (i === 20) cuts.push(closeAllConnections());
      if (i === 100) {
        // The second cut must hit the new connection, not the gap before it.
        await waitFor(() => downs() === 1 && states.at(-1) === 'connected', { timeoutMs: 10_000, description: 'the first reconnect' });
        cuts.push(closeAllConnections());
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(cuts);
    await waitFor(() => downs() === 2, { timeoutMs: 5_000, description: 'the bus to see the second cut' });

    const results = await Promise.allSettled(publishes);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    await waitFor(() => handled.size === 200, { timeoutMs: 15_000, description: `all 200 events handled (have ${handled.size})` });
    expect(new Set(events.map((e) => e.id))).toEqual(handled);

    expect(bus.stats().published).toBe(200);
    // Everything may be handled before the second reconnect: wait for it before reading the history.
    await waitFor(() => states.at(-1) === 'connected', { timeoutMs: 10_000, description: 'the second reconnect' });
    // connected → disconnected → connected, twice.
    expect(states.filter((s) => s !== 'blocked').slice(-4)).toEqual(['disconnected', 'connected', 'disconnected', 'connected']);
  });

  it('reconnect - after a reconnect, bindings are re-applied and new handlers still get events', async () => {
    const { exchange, queue } = names('rebind');
    const bus = await connectBus({ url: amqpUrl(), exchange, queue, reconnectDelayMs: 200 });
    const states = collectStates(bus.state$);
    const handled: Event[] = [];
    bus.handle('order.created', (event) => void handled.push(event));
    await bus.ready();

    await closeAllConnections();
    await waitFor(() => states.includes('disconnected'), { timeoutMs: 5_000, description: 'the bus to see the cut' });
    await waitFor(() => states.at(-1) === 'connected', { timeoutMs: 10_000, description: 'the bus to reconnect' });

    // The old binding works (the queue is durable, so it kept it; the consumer is back).
    const before = orderEvent('created');
    await bus.publish(before);
    await waitForCount(handled, 1, 'events for the old handler');

    // A handler registered after the reconnect gets its binding and events.
    const late: Event[] = [];
    bus.handle('order.paid', (event) => void late.push(event));
    await bus.ready();
    const paid = orderEvent('paid');
    await bus.publish(paid);
    await waitForCount(late, 1, 'events for the new handler');
    expect(late[0]?.id).toBe(paid.id);
  });

  it('reconnect - an auto-delete queue lost with the connection is declared and bound again', async () => {
    const { exchange, queue } = names('rebind-auto');
    const bus = await connectBus({
      url: amqpUrl(),
      exchange,
      queue,
      reconnectDelayMs: 200,
      queueOptions: { durable: false, exclusive: true, autoDelete: true },
    });
    const states = collectStates(bus.state$);
    const handled: Event[] = [];
    bus.handle('order.*', (event) => void handled.push(event));
    await bus.ready();

    await closeAllConnections();
    await waitFor(() => states.includes('disconnected'), { timeoutMs: 5_000, description: 'the bus to see the cut' });
    await waitFor(() => states.at(-1) === 'connected', { timeoutMs: 10_000, description: 'the bus to reconnect' });
    await bus.ready();

    // The exclusive queue died with the old connection; only re-declaring and re-binding brings this event in.
    await waitFor(
      async () => {
        await bus.publish(orderEvent('created'));
        return handled.length > 0;
      },
      { timeoutMs: 10_000, intervalMs: 300, description: 'an event on the re-declared queue' },
    );
  });
});

describe.each(TRANSPORTS)('reconnect (%s)', (_kind, makeUrl) => {
  it('reconnect - a queue deleted under a running bus is declared again and consumed; later events are handled', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('cancelled');
    const bus = await connectBus({ url, exchange, queue, reconnectDelayMs: 200 });
    const settlements = collectSettlements(bus);
    const handled: Event[] = [];
    bus.handle('order.*', (event) => void handled.push(event));
    await bus.ready();
    await bus.publish(orderEvent());
    await waitForCount(handled, 1, 'events before the delete');

    const view = await brokerView(url);
    await view.deleteQueue(queue);

    // The broker cancelled the consumer; the bus declares the queue again, binds it and consumes.
    await waitFor(
      async () => {
        await bus.publish(orderEvent('paid'));
        return handled.some((e) => e.action === 'paid');
      },
      { timeoutMs: 10_000, intervalMs: 300, description: 'an event handled after the queue was deleted' },
    );
    const last = orderEvent('shipped');
    await bus.publish(last);
    await waitFor(() => handled.some((e) => e.id === last.id), { description: 'the event after recovery' });
    expect(settlements.every((s) => s.outcome.kind === 'ack')).toBe(true);
  });
});
