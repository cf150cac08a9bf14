/**
 * The telemetry options: checked once at connect (hostile values are
 * INVALID_OPTIONS), `telemetry: false` turns everything off, and providers
 * passed as options are used instead of the global ones.
 */
import { describe, expect, it } from 'vitest';
import { type EventBusOptions, resolveOptions } from '../../src/bus/options.js';
import { ErrorCode, isRxPubsubError } from '../../src/errors.js';
import { brokerView, collectSettlements, connectBus, names, orderEvent, uniqueName, waitFor, waitForCount } from '../support/bus.js';
import { HOSTILE, throwingGetter } from '../support/hostile-values.js';
import { installContext, installSdk, sdkProviders, sumOf } from '../support/otel-sdk.js';

function refused(options: Record<string, unknown>): string {
  try {
    resolveOptions({ url: 'memory://x', ...options } as EventBusOptions);
  } catch (error) {
    expect(isRxPubsubError(error, ErrorCode.INVALID_OPTIONS), String(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error(`expected ${Object.keys(options).join(', ')} to be refused`);
}

describe('telemetry options', () => {
  it.each([
    ['telemetry', 'no', /telemetry must be true or false/],
    ['telemetry', 0, /telemetry must be true or false/],
    ['tracerProvider', 42, /tracerProvider must be an OpenTelemetry TracerProvider \(with a getTracer\(\) method\)/],
    ['tracerProvider', null, /tracerProvider must be/],
    ['tracerProvider', { getTracer: 'no' }, /tracerProvider must be/],
    ['tracerProvider', { getMeter: () => ({}) }, /tracerProvider must be/],
    ['meterProvider', {}, /meterProvider must be an OpenTelemetry MeterProvider \(with a getMeter\(\) method\)/],
    ['meterProvider', 'global', /meterProvider must be/],
  ])('telemetry options - %s = %j is INVALID_OPTIONS, naming the option', (option, value, message) => {
    expect(refused({ [option]: value })).toMatch(message);
  });

  it.each(HOSTILE.filter(([name]) => !name.includes('nested')))(
    'telemetry options - a hostile tracerProvider or meterProvider (%s) is INVALID_OPTIONS',
    (_name, make) => {
      refused({ tracerProvider: make() });
      refused({ meterProvider: make() });
      refused({ telemetry: make() });
    },
  );

  it('telemetry options - a provider whose getTracer getter throws is INVALID_OPTIONS, not the getter`s error', () => {
    expect(refused({ tracerProvider: throwingGetter('getTracer') })).toMatch(/could not be read|tracerProvider/);
  });

  it('telemetry options - telemetry: false records nothing and adds no header, with an SDK registered', async () => {
    const sdk = installSdk();
    const { exchange, queue } = names('otel');
    const url = `memory://${uniqueName('otel')}`;
    const bus = await connectBus({ url, exchange, queue, telemetry: false });
    const view = await brokerView(url);
    await view.declareBoundQueue(exchange, 'watch', '#');
    const settlements = collectSettlements(bus);
    bus.handle('order.*', () => {});
    await bus.ready();
    await bus.publish(orderEvent('created'));
    await waitForCount(settlements, 1, 'settlements');
    expect(sdk.spans()).toEqual([]);
    expect((await sdk.metrics()).size).toBe(0);
    expect((await view.take('watch'))[0]?.properties.headers).toBeUndefined();
  });

  it('telemetry options - tracerProvider and meterProvider given are used instead of the global ones', async () => {
    const global = installSdk();
    const own = sdkProviders();
    const { exchange, queue } = names('otel');
    const bus = await connectBus({
      url: `memory://${uniqueName('otel')}`,
      exchange,
      queue,
      tracerProvider: own.tracerProvider,
      meterProvider: own.meterProvider,
    });
    const settlements = collectSettlements(bus);
    bus.handle('order.*', () => {});
    await bus.ready();
    await bus.publish(orderEvent('created'));
    await waitForCount(settlements, 1, 'settlements');
    await waitFor(() => own.spans().length === 3, { description: '3 spans in the given provider' });
    expect(
      own
        .spans()
        .map((span) => span.name)
        .sort(),
    ).toEqual(['handle order.*', `process ${queue}`, `publish ${exchange}`]);
    expect(global.spans()).toEqual([]);
    expect(sumOf((await own.metrics()).get('messaging.client.sent.messages'))).toBe(1);
    expect((await global.metrics()).size).toBe(0);
  });

  it('telemetry options - providers given work with no global SDK (only the context manager and propagator registered)', async () => {
    installContext();
    const own = sdkProviders();
    const { exchange, queue } = names('otel');
    const bus = await connectBus({ url: `memory://${uniqueName('otel')}`, exchange, queue, tracerProvider: own.tracerProvider });
    const settlements = collectSettlements(bus);
    bus.handle('order.*', () => {});
    await bus.ready();
    await bus.publish(orderEvent('created'));
    await waitForCount(settlements, 1, 'settlements');
    await waitFor(() => own.spans().length === 3, { description: '3 spans' });
    const byName = (name: string) => own.spans().find((span) => span.name === name);
    const [handler, consumer, producer] = [byName('handle order.*'), byName(`process ${queue}`), byName(`publish ${exchange}`)];
    expect(consumer?.parentSpanContext?.spanId).toBe(producer?.spanContext().spanId);
    expect(handler?.parentSpanContext?.spanId).toBe(consumer?.spanContext().spanId);
  });
});
