/**
 * OpenTelemetry metrics on memory://, collected from the SDK's meter provider:
 * names, units and attributes of each instrument after a flow with an ack, a
 * retry, a dead letter and an unhandled delivery; the gauges; reconnects.
 */
import type { Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { collectSettlements, connectBus, gate, names, orderEvent, teardown, uniqueName, waitFor, waitForCount } from '../support/bus.js';
import { installSdk, pointsOf, sumOf } from '../support/otel-sdk.js';
import { wrappedMemoryTransport } from '../support/wrapped-transport.js';

function countOf(metric: MetricData | undefined, attributes: Record<string, unknown> = {}): number {
  return pointsOf(metric, attributes).reduce((sum, point) => sum + (point.value as Histogram).count, 0);
}

describe('telemetry metrics (memory://)', () => {
  it('telemetry metrics - publish, delivery and handler metrics carry the conventions` names, units and attributes', async () => {
    const sdk = installSdk();
    const { exchange, queue } = names('otel');
    const broker = uniqueName('otel');
    const bus = await connectBus({ url: `memory://${broker}`, exchange, queue, retry: { attempts: 2, delaysMs: 5 } });
    const settlements = collectSettlements(bus);
    bus.handle('order.created', () => {});
    bus.handle('order.paid', () => {
      throw new RangeError('amount out of range');
    });
    bus.on$('user.*').subscribe();
    await bus.ready();
    await bus.publish(orderEvent('created'));
    await bus.publish(orderEvent('paid'));
    await bus.publish({ ...orderEvent('registered'), domain: 'user' });
    await waitForCount(settlements, 4, 'settlements (ack, retry, dead-letter, unhandled)');
    const collected = await sdk.metrics();

    const publish = { 'messaging.system': 'rx_pubsub_memory', 'server.address': broker, 'messaging.operation.name': 'publish' };
    const duration = collected.get('messaging.client.operation.duration');
    expect(duration?.descriptor.unit).toBe('s');
    expect(countOf(duration, { ...publish, 'messaging.operation.type': 'send', 'messaging.destination.name': exchange })).toBe(3);
    expect(sumOf(collected.get('messaging.client.sent.messages'), publish)).toBe(3);

    const consumed = collected.get('messaging.client.consumed.messages');
    const delivery = {
      'messaging.system': 'rx_pubsub_memory',
      'messaging.operation.name': 'process',
      'messaging.consumer.group.name': queue,
    };
    expect(sumOf(consumed, { ...delivery, 'rx_pubsub.outcome': 'ack' })).toBe(1);
    expect(sumOf(consumed, { ...delivery, 'rx_pubsub.outcome': 'unhandled' })).toBe(1);
    expect(sumOf(consumed, { ...delivery, 'rx_pubsub.outcome': 'retry', 'error.type': 'RangeError' })).toBe(1);
    expect(sumOf(consumed, { ...delivery, 'rx_pubsub.outcome': 'dead-letter', 'error.type': 'RangeError' })).toBe(1);
    expect(countOf(collected.get('messaging.process.duration'), delivery)).toBe(4);
    expect(collected.get('messaging.process.duration')?.descriptor.unit).toBe('s');

    const handlers = collected.get('rx_pubsub.handler.duration');
    expect(countOf(handlers, { 'rx_pubsub.pattern': 'order.created' })).toBe(1);
    expect(countOf(handlers, { 'rx_pubsub.pattern': 'order.paid', 'error.type': 'RangeError' })).toBe(2);
    expect(sumOf(collected.get('rx_pubsub.retries'), { 'messaging.consumer.group.name': queue })).toBe(1);
    expect(sumOf(collected.get('rx_pubsub.dead_letters'), { 'messaging.consumer.group.name': queue })).toBe(1);
    expect(sumOf(collected.get('rx_pubsub.deliveries.active'), { 'messaging.consumer.group.name': queue })).toBe(0);
  });

  it('telemetry metrics - gauges: deliveries in flight, and the publish buffer as the transport reports it; not read once closed', async () => {
    const sdk = installSdk();
    const { transport } = wrappedMemoryTransport('otel', {});
    let reads = 0;
    Object.assign(transport, { publisherStatus: () => (reads++, { buffered: 3, unconfirmed: 2, blocked: false }) });
    const { exchange, queue } = names('otel');
    const bus = await EventBus.connect({ transport, exchange, queue, connectionName: 'gauges' });
    teardown(() => bus.close());
    const settlements = collectSettlements(bus);
    const release = gate();
    bus.handle('order.*', () => release.promise);
    await bus.ready();
    await bus.publish(orderEvent('created'));
    await bus.publish(orderEvent('paid'));
    const own = { 'rx_pubsub.connection.name': 'gauges' };

    await waitFor(async () => sumOf((await sdk.metrics()).get('rx_pubsub.deliveries.active'), own) === 2, { description: '2 in flight' });
    const collected = await sdk.metrics();
    expect(sumOf(collected.get('rx_pubsub.publish.buffered'), { ...own, 'messaging.destination.name': exchange })).toBe(3);
    expect(sumOf(collected.get('rx_pubsub.publish.unconfirmed'), { ...own, 'messaging.destination.name': exchange })).toBe(2);

    release.open();
    await waitForCount(settlements, 2, 'settlements');
    expect(sumOf((await sdk.metrics()).get('rx_pubsub.deliveries.active'), own)).toBe(0);
    await bus.close();
    const readsBefore = reads;
    await sdk.metrics();
    expect(reads).toBe(readsBefore); // the closed bus's callbacks are removed
  });

  it('telemetry metrics - a regained connection counts one reconnect; a broker alarm that ends does not', async () => {
    const sdk = installSdk();
    const broker = uniqueName('otel');
    const bus = await connectBus({ url: `memory://${broker}`, connectionName: 'reconnects' });
    const states: string[] = [];
    const subscription = bus.state$.subscribe((state) => states.push(state.status));
    teardown(() => subscription.unsubscribe());
    const own = { 'rx_pubsub.connection.name': 'reconnects', 'messaging.system': 'rx_pubsub_memory' };

    MemoryBroker.named(broker).block();
    MemoryBroker.named(broker).unblock();
    MemoryBroker.named(broker).dropConnections();
    await waitFor(() => states.filter((status) => status === 'connected').length === 3, { description: 'connected again' });
    await bus.publish(orderEvent('created'));
    expect(sumOf((await sdk.metrics()).get('rx_pubsub.reconnects'), own)).toBe(1);
  });

  it('telemetry metrics - two buses sharing a queue (competing consumers) add up in the counters they share', async () => {
    const sdk = installSdk();
    const { exchange, queue } = names('otel');
    const url = `memory://${uniqueName('otel')}`;
    const first = await connectBus({ url, exchange, queue, connectionName: 'worker-1' });
    const second = await connectBus({ url, exchange, queue, connectionName: 'worker-2' });
    const settlements = [...[first, second].map((bus) => collectSettlements(bus))];
    for (const bus of [first, second]) bus.handle('order.*', () => {});
    await Promise.all([first.ready(), second.ready()]);
    for (let i = 0; i < 6; i++) await first.publish(orderEvent('created'));
    await waitFor(() => settlements.flat().length === 6, { description: '6 settlements' });
    expect(settlements.every((list) => list.length > 0)).toBe(true); // both workers took some
    const consumed = (await sdk.metrics()).get('messaging.client.consumed.messages');
    expect(sumOf(consumed, { 'messaging.consumer.group.name': queue, 'rx_pubsub.outcome': 'ack' })).toBe(6);
  });
});
