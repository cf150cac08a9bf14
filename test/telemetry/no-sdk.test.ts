/**
 * `@opentelemetry/api` installed, no SDK registered: the API's no-op state.
 * A bus then does nothing per delivery or publish beyond one check, and
 * picks up an SDK registered later (traces; metrics are read at connect).
 */
import { trace } from '@opentelemetry/api';
import { beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { fakeDelivery } from '../../src/testing/fake-delivery.js';
import { startTelemetry } from '../../src/telemetry/bus-telemetry.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import type { OutboundMessage } from '../../src/transport/transport.js';
import {
  brokerView,
  collectSettlements,
  connectBus,
  names,
  orderEvent,
  teardown,
  uniqueName,
  waitFor,
  waitForCount,
} from '../support/bus.js';
import { installSdk, uninstallSdk } from '../support/otel-sdk.js';

const ON = { enabled: true, tracerProvider: undefined, meterProvider: undefined } as const;

describe('telemetry without an SDK', () => {
  beforeEach(() => uninstallSdk());

  it('telemetry without an SDK - the delivery hook returns nothing and publish is the transport`s own Promise, untouched', async () => {
    const transport = new MemoryTransport({ url: `memory://${uniqueName('otel')}`, logger: silentLogger });
    teardown(() => transport.close());
    await transport.connect('events');
    const telemetry = await startTelemetry(
      { telemetry: ON, queue: 'q', exchange: 'events', connectionName: 'c', logger: silentLogger },
      transport,
    );
    expect(telemetry).toBeDefined();
    expect(telemetry?.delivery(fakeDelivery(orderEvent()))).toBeUndefined();
    const sent = Promise.resolve();
    const seen: OutboundMessage[] = [];
    const message = { exchange: 'events', routingKey: 'order.created', body: '{}', properties: {}, timeoutMs: 1_000 };
    expect(
      telemetry?.publish(message, (m) => {
        seen.push(m);
        return sent;
      }),
    ).toBe(sent);
    expect(seen).toEqual([message]);
    telemetry?.close();
  });

  it('telemetry without an SDK - telemetry: false does not even load the API: no telemetry object', async () => {
    const transport = new MemoryTransport({ url: `memory://${uniqueName('otel')}`, logger: silentLogger });
    teardown(() => transport.close());
    const config = { telemetry: { ...ON, enabled: false }, queue: 'q', exchange: 'events', connectionName: 'c', logger: silentLogger };
    expect(await startTelemetry(config, transport)).toBeUndefined();
  });

  it('telemetry without an SDK - a bus publishes no trace header and its handlers see no span', async () => {
    const { exchange, queue } = names('otel');
    const url = `memory://${uniqueName('otel')}`;
    const bus = await connectBus({ url, exchange, queue });
    const view = await brokerView(url);
    await view.declareBoundQueue(exchange, 'watch', '#');
    const settlements = collectSettlements(bus);
    let active: unknown = 'not called';
    bus.handle('order.*', () => {
      active = trace.getActiveSpan();
    });
    await bus.ready();
    await bus.publish(orderEvent('created'));
    await waitForCount(settlements, 1, 'settlements');
    expect(active).toBeUndefined();
    expect((await view.take('watch'))[0]?.properties.headers).toBeUndefined();
  });

  it('telemetry without an SDK - an SDK registered after connect is picked up for traces at the next delivery', async () => {
    const { exchange, queue } = names('otel');
    const bus = await connectBus({ url: `memory://${uniqueName('otel')}`, exchange, queue });
    const settlements = collectSettlements(bus);
    bus.handle('order.*', () => {});
    await bus.ready();
    await bus.publish(orderEvent('created'));
    await waitForCount(settlements, 1, 'settlements');

    const sdk = installSdk();
    await bus.publish(orderEvent('paid'));
    await waitForCount(settlements, 2, 'settlements');
    await waitFor(() => sdk.spans().length === 3, { description: '3 spans of the second publish' });
    const keys = sdk.spans().map((span) => [span.name, span.attributes['messaging.rabbitmq.destination.routing_key']]);
    expect(keys.sort()).toEqual([
      ['handle order.*', undefined],
      [`process ${queue}`, 'order.paid'],
      [`publish ${exchange}`, 'order.paid'],
    ]);
    // Metrics are read at connect (the metrics API has no proxy): this bus records none.
    expect((await sdk.metrics()).size).toBe(0);
  });
});
