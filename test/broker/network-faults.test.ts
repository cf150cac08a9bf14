import { describe, expect, it } from 'vitest';
import { ErrorCode, type Event, PublishError, RxPubsubError } from '../../src/index.js';
import {
  amqpUrl,
  brokerView,
  collectSettlements,
  connectBus,
  expectRxError,
  gate,
  names,
  orderEvent,
  teardown,
  waitFor,
  waitForCount,
} from '../support/bus.js';
import { tcpProxy } from '../support/tcp-proxy.js';

// A proxy between one bus and RabbitMQ plays the network faults, so these tests
// disturb only their own bus and run in parallel with the others.

/** Every status of `bus.state$` from now on. */
function statesOf(bus: { state$: { subscribe(next: (s: { status: string }) => void): { unsubscribe(): void } } }): string[] {
  const states: string[] = [];
  const subscription = bus.state$.subscribe((s) => states.push(s.status));
  teardown(() => subscription.unsubscribe());
  return states;
}

describe('network faults (amqp)', () => {
  it('network faults - publishes made while the broker is unreachable wait and go out on reconnect', async () => {
    const proxy = await tcpProxy(amqpUrl());
    const { exchange, queue } = names('nf-wait');
    const bus = await connectBus({ url: proxy.url, exchange, queue, reconnectDelayMs: 100, publishTimeoutMs: 10_000 });
    const states = statesOf(bus);
    const handled = new Set<string>();
    bus.handle('order.*', (event) => void handled.add(event.id));
    await bus.ready();

    proxy.refuse(true);
    proxy.cut();
    await waitFor(() => states.at(-1) === 'disconnected', { description: 'the bus to notice the cut' });
    const events = Array.from({ length: 20 }, (_, i) => orderEvent('created', { n: i }));
    let confirmed = 0;
    const publishes = events.map((event) => bus.publish(event).then(() => void confirmed++));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(confirmed).toBe(0); // nothing can be confirmed while the broker is out of reach

    proxy.refuse(false);
    await Promise.all(publishes);
    await waitFor(() => handled.size === 20, { timeoutMs: 10_000, description: `20 events handled (have ${handled.size})` });
    expect(states.at(-1)).toBe('connected');
  });

  it('network faults - a publish waiting longer than publishTimeoutMs rejects PUBLISH_TIMEOUT', async () => {
    const proxy = await tcpProxy(amqpUrl());
    const { exchange } = names('nf-timeout');
    const bus = await connectBus({ url: proxy.url, exchange, reconnectDelayMs: 100, publishTimeoutMs: 400 });
    const states = statesOf(bus);
    proxy.refuse(true);
    proxy.cut();
    await waitFor(() => states.at(-1) === 'disconnected', { description: 'the bus to notice the cut' });

    const started = Date.now();
    await expectRxError(bus.publish(orderEvent()), PublishError, ErrorCode.PUBLISH_TIMEOUT);
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(Date.now() - started).toBeLessThan(3_000);

    proxy.refuse(false);
    await waitFor(() => states.at(-1) === 'connected', { timeoutMs: 5_000, description: 'the reconnect' });
    await bus.publish(orderEvent());
  });

  it('network faults - a delivery whose connection died mid-handler is redelivered, and consuming goes on', async () => {
    const proxy = await tcpProxy(amqpUrl());
    const { exchange, queue } = names('nf-stale');
    const bus = await connectBus({ url: proxy.url, exchange, queue, reconnectDelayMs: 100 });
    const states = statesOf(bus);
    const settlements = collectSettlements(bus);
    const started = gate();
    const release = gate();
    const runs: string[] = [];
    bus.handle('order.created', async (event) => {
      runs.push(event.id);
      started.open();
      await release.promise;
    });
    const later: Event[] = [];
    bus.handle('order.paid', (event) => void later.push(event));
    await bus.ready();

    const first = orderEvent('created');
    await bus.publish(first);
    await started.promise;
    proxy.cut(); // the handler is still running: its delivery tag dies with the channel
    await waitFor(() => states.includes('disconnected') && states.at(-1) === 'connected', {
      timeoutMs: 10_000,
      description: 'the bus to reconnect',
    });
    release.open();

    // The broker redelivers the unacked message; the old ack is dropped rather than sent on the new channel
    // (which would be PRECONDITION_FAILED and close it), so the consumer keeps working.
    await waitFor(() => runs.filter((id) => id === first.id).length >= 2, { timeoutMs: 10_000, description: 'the redelivery' });
    await waitFor(() => settlements.some((s) => s.event?.id === first.id && s.delivery.redelivered), {
      timeoutMs: 10_000,
      description: 'the redelivered copy to be settled',
    });
    const paid = orderEvent('paid');
    await bus.publish(paid);
    await waitForCount(later, 1, 'events after the reconnect');
    expect(later[0]?.id).toBe(paid.id);

    await bus.close();
    const view = await brokerView(amqpUrl());
    expect(await view.depth(queue)).toBe(0);
  });

  it('network faults - ready() while the broker is unreachable resolves once the bindings are applied after reconnect', async () => {
    const proxy = await tcpProxy(amqpUrl());
    const { exchange, queue } = names('nf-ready');
    const bus = await connectBus({ url: proxy.url, exchange, queue, reconnectDelayMs: 100 });
    const states = statesOf(bus);
    proxy.refuse(true);
    proxy.cut();
    await waitFor(() => states.at(-1) === 'disconnected', { description: 'the bus to notice the cut' });

    const handled: Event[] = [];
    bus.handle('order.created', (event) => void handled.push(event));
    let ready = false;
    const readiness = bus.ready().then(() => void (ready = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ready).toBe(false);

    proxy.refuse(false);
    await readiness;
    // Published by someone else, straight to RabbitMQ: the binding made while down is live.
    const publisher = await connectBus({ url: amqpUrl(), exchange });
    const event = orderEvent('created');
    await publisher.publish(event);
    await waitForCount(handled, 1, 'handled events');
    expect(handled[0]?.id).toBe(event.id);
  });

  it('network faults - close() while the broker is unreachable still resolves', async () => {
    const proxy = await tcpProxy(amqpUrl());
    const { exchange, queue } = names('nf-close');
    const bus = await connectBus({ url: proxy.url, exchange, queue, reconnectDelayMs: 100, publishTimeoutMs: 500 });
    const states = statesOf(bus);
    bus.handle('order.*', () => undefined);
    await bus.ready();
    proxy.refuse(true);
    proxy.cut();
    await waitFor(() => states.at(-1) === 'disconnected', { description: 'the bus to notice the cut' });
    const pending = bus.publish(orderEvent()).catch((error: unknown) => error);

    const started = Date.now();
    await bus.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    // Never confirmed: it fails with an rx-pubsub error (timeout or closed), it does not hang.
    expect(await pending).toBeInstanceOf(RxPubsubError);
  });
});
