/**
 * OpenTelemetry traces on memory://, with the SDK registered as an application
 * does (test/support/otel-sdk.ts): the span tree of a publish and its
 * delivery, attributes by name, failures, retries, and handlers running
 * inside their spans.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { propagation, context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { defer, of, timer, map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { brokerView, collectSettlements, connectBus, names, orderEvent, uniqueName, waitFor, waitForCount } from '../support/bus.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { installSdk, linksTo, parentOf, spanTree } from '../support/otel-sdk.js';

function memoryUrl(): string {
  return `memory://${uniqueName('otel')}`;
}

function named(spans: readonly ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((span) => span.name === name);
}

function only(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = named(spans, name);
  expect(found, `one span named ${name} among ${spans.map((s) => s.name).join(', ')}`).toHaveLength(1);
  return found[0] as ReadableSpan;
}

describe('telemetry traces (memory://)', () => {
  it('telemetry - a publish, its delivery and each matching handler make one trace: PRODUCER → CONSUMER → INTERNAL', async () => {
    const sdk = installSdk();
    const { exchange, queue } = names('otel');
    const url = memoryUrl();
    const bus = await connectBus({ url, exchange, queue });
    bus.handle('order.*', async () => {
      await sleep(1);
    });
    bus.handle('*.created', () => {});
    await bus.ready();
    const event = orderEvent('created');
    await bus.publish({ ...event, correlationId: 'conv-1' });
    await waitFor(() => sdk.spans().length >= 4, { description: '4 spans' });

    const spans = sdk.spans();
    const producer = only(spans, `publish ${exchange}`);
    const consumer = only(spans, `process ${queue}`);
    const handlers = [only(spans, 'handle order.*'), only(spans, 'handle *.created')];
    expect(producer.kind).toBe(SpanKind.PRODUCER);
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(handlers.map((span) => span.kind)).toEqual([SpanKind.INTERNAL, SpanKind.INTERNAL]);
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(1);
    expect(parentOf(consumer)).toBe(producer.spanContext().spanId);
    expect(linksTo(consumer, producer.spanContext())).toBe(true);
    for (const handler of handlers) expect(parentOf(handler)).toBe(consumer.spanContext().spanId);

    const broker = new URL(url).host;
    expect(producer.attributes).toMatchObject({
      'messaging.system': 'rx_pubsub_memory',
      'messaging.operation.name': 'publish',
      'messaging.operation.type': 'send',
      'messaging.destination.name': exchange,
      'messaging.rabbitmq.destination.routing_key': 'order.created',
      'messaging.message.id': event.id,
      'messaging.message.conversation_id': 'conv-1',
      'server.address': broker,
    });
    expect(producer.attributes['messaging.message.body.size']).toBeGreaterThan(50);
    expect(consumer.attributes).toMatchObject({
      'messaging.system': 'rx_pubsub_memory',
      'messaging.operation.name': 'process',
      'messaging.operation.type': 'process',
      'messaging.destination.name': exchange,
      'messaging.rabbitmq.destination.routing_key': 'order.created',
      'messaging.message.id': event.id,
      'messaging.message.conversation_id': 'conv-1',
      'messaging.consumer.group.name': queue,
      'server.address': broker,
      'rx_pubsub.attempt': 1,
      'rx_pubsub.outcome': 'ack',
      'rx_pubsub.settlement.sent': true,
    });
    expect(consumer.attributes['messaging.message.body.size']).toBe(producer.attributes['messaging.message.body.size']);
    expect(handlers[0]?.attributes).toEqual({ 'rx_pubsub.pattern': 'order.*', 'rx_pubsub.handler.id': 'order.*', 'rx_pubsub.attempt': 1 });
    expect(consumer.status.code).toBe(SpanStatusCode.UNSET);
    expect(producer.instrumentationScope.name).toBe('rx-pubsub');
  });

  it('telemetry - a publish inside an async handler, after an await, is the handler span`s child, down to the next handler', async () => {
    const sdk = installSdk();
    const { exchange, queue } = names('otel');
    const bus = await connectBus({ url: memoryUrl(), exchange, queue });
    const settlements = collectSettlements(bus);
    bus.handle('order.created', async () => {
      await sleep(2);
      await bus.publish(orderEvent('paid'));
    });
    bus.handle('order.paid', () => {});
    await bus.ready();
    await bus.publish(orderEvent('created'));
    await waitForCount(settlements, 2, 'settlements');
    await waitFor(() => sdk.spans().length >= 6, { description: '6 spans' });

    expect(spanTree(sdk.spans(), (span) => `${span.name} [${SpanKind[span.kind]}]`)).toEqual([
      `publish ${exchange} [PRODUCER]`,
      `  process ${queue} [CONSUMER]`,
      `    handle order.created [INTERNAL]`,
      `      publish ${exchange} [PRODUCER]`,
      `        process ${queue} [CONSUMER]`,
      `          handle order.paid [INTERNAL]`,
    ]);
    expect(new Set(sdk.spans().map((span) => span.spanContext().traceId)).size).toBe(1);
  });

  it('telemetry - context.publish from a handler is the handler span`s child, with correlation and causation from the handled event', async () => {
    const sdk = installSdk();
    const { exchange, queue } = names('otel');
    const bus = await connectBus({ url: memoryUrl(), exchange, queue });
    const settlements = collectSettlements(bus);
    const created = orderEvent('created');
    bus.handle('order.created', async (_event, { publish }) => {
      await sleep(2);
      await publish(orderEvent('paid'));
    });
    bus.handle('order.paid', () => {});
    await bus.ready();
    await bus.publish(created);
    await waitForCount(settlements, 2, 'settlements');
    await waitFor(() => sdk.spans().length >= 6, { description: '6 spans' });

    expect(spanTree(sdk.spans(), (span) => `${span.name} [${SpanKind[span.kind]}]`)).toEqual([
      `publish ${exchange} [PRODUCER]`,
      `  process ${queue} [CONSUMER]`,
      `    handle order.created [INTERNAL]`,
      `      publish ${exchange} [PRODUCER]`,
      `        process ${queue} [CONSUMER]`,
      `          handle order.paid [INTERNAL]`,
    ]);
    const paid = named(sdk.spans(), `publish ${exchange}`).find((span) => span.attributes['messaging.rabbitmq.destination.routing_key'] === 'order.paid');
    expect(paid?.attributes['messaging.message.conversation_id']).toBe(created.id);
  });

  it('telemetry - a publish under the application`s own span joins its trace; the message carries traceparent and baggage', async () => {
    const sdk = installSdk();
    const { exchange } = names('otel');
    const url = memoryUrl();
    const bus = await connectBus({ url, exchange });
    const view = await brokerView(url);
    await view.declareBoundQueue(exchange, 'watch', '#');
    const tracer = trace.getTracer('app');
    const baggage = propagation.createBaggage({ tenant: { value: 'acme' } });
    await tracer.startActiveSpan('http POST /orders', async (span: Span) => {
      await context.with(propagation.setBaggage(context.active(), baggage), () => bus.publish(orderEvent('created')));
      span.end();
    });
    const root = only(sdk.spans(), 'http POST /orders');
    const producer = only(sdk.spans(), `publish ${exchange}`);
    expect(parentOf(producer)).toBe(root.spanContext().spanId);
    const [message] = await view.take('watch');
    const { traceId, spanId } = producer.spanContext();
    expect(message?.properties.headers).toEqual({ traceparent: `00-${traceId}-${spanId}-01`, baggage: 'tenant=acme' });
  });

  it('telemetry - W3C headers from another client are the delivery`s parent, and its handler sees their baggage', async () => {
    const sdk = installSdk();
    const { exchange, queue } = names('otel');
    const url = memoryUrl();
    const bus = await connectBus({ url, exchange, queue });
    const settlements = collectSettlements(bus);
    let tenant: string | undefined;
    bus.handle('order.*', async () => {
      await sleep(1);
      tenant = propagation.getActiveBaggage()?.getEntry('tenant')?.value;
    });
    await bus.ready();
    const event = orderEvent('created');
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    // Sent as bytes, as some AMQP clients decode long strings.
    const headers = { traceparent: Buffer.from(traceparent), tracestate: 'vendor=1', baggage: 'tenant=acme' };
    await (
      await brokerView(url)
    ).publish(exchange, 'order.created', Buffer.from(JSON.stringify(event)), { contentType: 'application/json', headers });
    await waitForCount(settlements, 1, 'settlements');
    await waitFor(() => sdk.spans().length >= 2, { description: '2 spans' });
    const delivery = only(sdk.spans(), `process ${queue}`);
    expect(delivery.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(parentOf(delivery)).toBe('b7ad6b7169203331');
    expect(delivery.parentSpanContext?.traceState?.get('vendor')).toBe('1');
    expect(linksTo(delivery, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 })).toBe(true);
    expect(tenant).toBe('acme');
  });

  it('telemetry - a failed handler`s span has error status and the exception, its password redacted; the delivery says dead-letter', async () => {
    const sdk = installSdk();
    const { exchange, queue } = names('otel');
    const bus = await connectBus({ url: memoryUrl(), exchange, queue });
    const settlements = collectSettlements(bus);
    bus.handle('order.*', () => {
      throw new TypeError('cannot reach amqp://app:s3cret@db.internal/orders');
    });
    bus.handle('*.created', () => {});
    await bus.ready();
    await bus.publish(orderEvent('created'));
    await waitForCount(settlements, 1, 'settlements');
    await waitFor(() => sdk.spans().length >= 4, { description: '4 spans' });

    const spans = sdk.spans();
    const failed = only(spans, 'handle order.*');
    expect(failed.status).toEqual({ code: SpanStatusCode.ERROR, message: 'cannot reach amqp://app:***@db.internal/orders' });
    expect(failed.attributes['error.type']).toBe('TypeError');
    const exception = failed.events.find((e) => e.name === 'exception');
    expect(exception?.attributes).toMatchObject({
      'exception.type': 'TypeError',
      'exception.message': 'cannot reach amqp://app:***@db.internal/orders',
    });
    expect(JSON.stringify(spans.map((span) => [span.attributes, span.events, span.status]))).not.toContain('s3cret');
    expect(only(spans, 'handle *.created').status.code).toBe(SpanStatusCode.UNSET);

    const consumer = only(spans, `process ${queue}`);
    expect(consumer.attributes).toMatchObject({
      'rx_pubsub.outcome': 'dead-letter',
      'error.type': 'TypeError',
      'rx_pubsub.settlement.sent': true,
    });
    expect(consumer.status.code).toBe(SpanStatusCode.ERROR);
    expect(consumer.status.message).toContain('order.*: cannot reach amqp://app:***@db.internal/orders');
  });

  it('telemetry - retried copies stay in the trace: every attempt`s delivery span is the producer`s child, numbered', async () => {
    const sdk = installSdk();
    const { exchange, queue } = names('otel');
    const bus = await connectBus({ url: memoryUrl(), exchange, queue, retry: { attempts: 3, delaysMs: 5 } });
    const settlements = collectSettlements(bus);
    let calls = 0;
    bus.handle('order.*', () => {
      if (++calls < 3) throw new Error(`attempt ${calls} failed`);
    });
    await bus.ready();
    await bus.publish(orderEvent('created'));
    await waitForCount(settlements, 3, 'settlements');
    await waitFor(() => named(sdk.spans(), `process ${queue}`).length === 3, { description: '3 delivery spans' });

    const spans = sdk.spans();
    const producer = only(spans, `publish ${exchange}`);
    const deliveries = named(spans, `process ${queue}`);
    expect(deliveries.map((span) => [span.attributes['rx_pubsub.attempt'], span.attributes['rx_pubsub.outcome']])).toEqual([
      [1, 'retry'],
      [2, 'retry'],
      [3, 'ack'],
    ]);
    for (const delivery of deliveries) {
      expect(delivery.spanContext().traceId).toBe(producer.spanContext().traceId);
      expect(parentOf(delivery)).toBe(producer.spanContext().spanId);
      // The copy came back through the default exchange; the key it was published with is kept.
      expect(delivery.attributes['messaging.rabbitmq.destination.routing_key']).toBe('order.created');
    }
    expect(named(spans, 'handle order.*').map((span) => span.attributes['rx_pubsub.attempt'])).toEqual([1, 2, 3]);
  });

  it('telemetry - an Observable handler is subscribed inside its span: work started on subscription and after a timer is its child', async () => {
    const sdk = installSdk();
    const { queue } = names('otel');
    const bus = await connectBus({ url: memoryUrl(), queue });
    const settlements = collectSettlements(bus);
    const seen: (string | undefined)[] = [];
    bus.handle('order.*', () =>
      defer(() => {
        seen.push(trace.getActiveSpan()?.spanContext().spanId);
        return timer(2).pipe(map(() => seen.push(trace.getActiveSpan()?.spanContext().spanId)));
      }),
    );
    bus.handle('*.created', () => of(1));
    await bus.ready();
    await bus.publish(orderEvent('created'));
    await waitForCount(settlements, 1, 'settlements');
    await waitFor(() => named(sdk.spans(), 'handle order.*').length === 1, { description: 'the handler span' });
    const handler = only(sdk.spans(), 'handle order.*');
    expect(seen).toEqual([handler.spanContext().spanId, handler.spanContext().spanId]);
  });

  it('telemetry - a delivery no handler matches ends as unhandled, with no handler span', async () => {
    const sdk = installSdk();
    const { queue } = names('otel');
    const bus = await connectBus({ url: memoryUrl(), queue });
    const settlements = collectSettlements(bus);
    bus.on$('user.*').subscribe();
    await bus.ready();
    await bus.publish({ ...orderEvent('created'), domain: 'user' });
    await waitForCount(settlements, 1, 'settlements');
    await waitFor(() => named(sdk.spans(), `process ${queue}`).length === 1, { description: 'the delivery span' });
    expect(only(sdk.spans(), `process ${queue}`).attributes['rx_pubsub.outcome']).toBe('unhandled');
    expect(sdk.spans().filter((span) => span.name.startsWith('handle '))).toEqual([]);
  });

  it('telemetry - a message from a client that sends no trace context starts a trace of its own, with no link', async () => {
    const sdk = installSdk();
    const { exchange, queue } = names('otel');
    const url = memoryUrl();
    const bus = await connectBus({ url, exchange, queue });
    const settlements = collectSettlements(bus);
    bus.handle('order.*', () => {});
    await bus.ready();
    await bus.publish(orderEvent('created'));
    const event = orderEvent('paid');
    MemoryBroker.named(new URL(url).host).publish(exchange, 'order.paid', Buffer.from(JSON.stringify(event)), {
      contentType: 'application/json',
      messageId: event.id,
    });
    await waitForCount(settlements, 2, 'settlements');
    await waitFor(() => named(sdk.spans(), `process ${queue}`).length === 2, { description: '2 delivery spans' });
    const foreign = named(sdk.spans(), `process ${queue}`).find((span) => span.attributes['messaging.message.id'] === event.id);
    expect(foreign?.parentSpanContext).toBeUndefined();
    expect(foreign?.links).toEqual([]);
  });
});
