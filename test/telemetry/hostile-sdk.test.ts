/**
 * A throwing OpenTelemetry SDK never breaks a publish or a delivery: a span
 * processor, an exporter, a propagator, a context manager, a meter's
 * instruments or a gauge's source that throw are skipped, and logged once per bus.
 */
import { context, type ContextManager, propagation, ROOT_CONTEXT, type TextMapPropagator } from '@opentelemetry/api';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { EventBus, type Logger } from '../../src/index.js';
import { collectSettlements, connectBus, names, orderEvent, teardown, uniqueName, waitForCount } from '../support/bus.js';
import { installContext, installSdk } from '../support/otel-sdk.js';
import { wrappedMemoryTransport } from '../support/wrapped-transport.js';

const boom = (): never => {
  throw new Error('telemetry broke at amqp://otel:s3cret@collector');
};

/** A logger recording its warnings. */
function recordingLogger(): { logger: Logger; warnings: unknown[][] } {
  const warnings: unknown[][] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (fields, message) => void warnings.push([fields, message]),
    error: () => {},
    child: () => logger,
  };
  return { logger, warnings };
}

/** Publishes two events to a handler, with `options`; every delivery must ack. */
async function flowSurvives(options: Partial<Parameters<typeof EventBus.connect>[0]> = {}): Promise<unknown[][]> {
  const { logger, warnings } = recordingLogger();
  const { exchange, queue } = names('otel');
  const bus = await connectBus({ url: `memory://${uniqueName('otel')}`, exchange, queue, logger, ...options } as never);
  const settlements = collectSettlements(bus);
  let handled = 0;
  bus.handle('order.{created,paid}', async () => {
    handled++;
    await bus.publish(orderEvent('shipped'));
  });
  bus.handle('order.shipped', () => {});
  await bus.ready();
  await bus.publish(orderEvent('created'));
  await bus.publish(orderEvent('paid'));
  await waitForCount(settlements, 4, 'settlements');
  expect(settlements.map((s) => s.outcome.kind)).toEqual(['ack', 'ack', 'ack', 'ack']);
  expect(handled).toBe(2); // each handler ran once: a failing context manager does not run one twice
  return warnings;
}

function loggedOnce(warnings: unknown[][]): void {
  const telemetry = warnings.filter(([, message]) => String(message).includes('OpenTelemetry call failed'));
  expect(telemetry).toHaveLength(1);
  expect(JSON.stringify(telemetry)).toContain('amqp://otel:***@collector');
  expect(JSON.stringify(warnings)).not.toContain('s3cret');
}

describe('telemetry with a hostile SDK', () => {
  it('hostile SDK - a span processor whose onStart and onEnd throw: publishes and deliveries go on, logged once', async () => {
    const processor: SpanProcessor = { onStart: boom, onEnd: boom, forceFlush: async () => {}, shutdown: async () => {} };
    installSdk({ processors: [processor] });
    loggedOnce(await flowSurvives());
  });

  it('hostile SDK - an exporter that throws (the SDK reports it; the bus goes on)', async () => {
    installContext();
    const exporter: SpanExporter = { export: boom, shutdown: async () => {} };
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    await flowSurvives({ tracerProvider });
  });

  it('hostile SDK - a propagator whose inject and extract throw: messages go without trace context, logged once', async () => {
    installSdk();
    const propagator: TextMapPropagator = { inject: boom, extract: boom, fields: () => [] };
    propagation.disable();
    propagation.setGlobalPropagator(propagator);
    loggedOnce(await flowSurvives());
  });

  it('hostile SDK - a context manager whose with() throws: each handler runs once, outside its span, logged once', async () => {
    installSdk();
    const manager: ContextManager = {
      active: () => ROOT_CONTEXT,
      with: boom,
      bind: (_context, target) => target,
      enable: () => manager,
      disable: () => manager,
    };
    context.disable();
    context.setGlobalContextManager(manager);
    loggedOnce(await flowSurvives());
  });

  it('hostile SDK - a tracer provider whose tracer is not a tracer, and a meter whose instruments throw', async () => {
    installContext();
    const instrument = { record: boom, add: boom, addCallback: boom, removeCallback: boom };
    const meter = new Proxy({}, { get: () => () => instrument });
    const warnings = await flowSurvives({ tracerProvider: { getTracer: () => ({}) }, meterProvider: { getMeter: () => meter } });
    loggedOnce(warnings);
  });

  it('hostile SDK - a meter provider whose getMeter throws leaves telemetry off for the bus: connect succeeds, logged', async () => {
    installContext();
    const warnings = await flowSurvives({ meterProvider: { getMeter: boom } });
    loggedOnce(warnings);
  });

  it('hostile SDK - a transport whose publisherStatus throws: collecting the metrics still works', async () => {
    const sdk = installSdk();
    const { transport } = wrappedMemoryTransport('otel', {});
    Object.assign(transport, { publisherStatus: boom });
    const bus = await EventBus.connect({ transport, connectionName: 'hostile-status' });
    teardown(() => bus.close());
    await bus.publish(orderEvent('created'));
    const collected = await sdk.metrics();
    expect(collected.get('messaging.client.sent.messages')).toBeDefined();
  });
});
