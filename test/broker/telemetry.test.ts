/**
 * One trace across services through RabbitMQ: service A publishes, service
 * B's handler publishes in turn, service A's handler gets that. The SDK is
 * registered as an application does; both services share the process (and so
 * the in-memory exporter), not a connection or a queue.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import {
  amqpUrl,
  collectSettlements,
  connectBus,
  deleteQueues,
  names,
  orderEvent,
  teardown,
  uniqueName,
  waitFor,
  waitForCount,
} from '../support/bus.js';
import { installSdk, linksTo, parentOf, spanTree, sumOf } from '../support/otel-sdk.js';
import { main as telemetryDemo } from '../../examples/telemetry.js';
import { deleteExchange } from '../support/broker.js';

function byName(spans: readonly ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((span) => span.name === name);
}

describe('telemetry (RabbitMQ)', () => {
  it('telemetry - a publish in service A, through RabbitMQ, to service B`s handler and a publish made inside it: one trace', async () => {
    const sdk = installSdk();
    const { exchange } = names('otel');
    const serviceA = uniqueName('otel-a');
    const serviceB = uniqueName('otel-b');
    const a = await connectBus({ url: amqpUrl(), exchange, queue: serviceA, connectionName: 'service-a' });
    const b = await connectBus({ url: amqpUrl(), exchange, queue: serviceB, connectionName: 'service-b' });
    const settledA = collectSettlements(a);
    const settledB = collectSettlements(b);
    b.handle('order.created', async () => {
      await b.publish(orderEvent('paid'));
    });
    a.handle('order.paid', () => {});
    await Promise.all([a.ready(), b.ready()]);
    await a.publish(orderEvent('created'));
    await waitForCount(settledB, 1, 'settlements in B');
    await waitForCount(settledA, 1, 'settlements in A');
    await waitFor(() => sdk.spans().length >= 6, { description: '6 spans' });

    const spans = sdk.spans();
    expect(spanTree(spans, (span) => `${span.name} [${SpanKind[span.kind]}]`)).toEqual([
      `publish ${exchange} [PRODUCER]`,
      `  process ${serviceB} [CONSUMER]`,
      `    handle order.created [INTERNAL]`,
      `      publish ${exchange} [PRODUCER]`,
      `        process ${serviceA} [CONSUMER]`,
      `          handle order.paid [INTERNAL]`,
    ]);
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(1);
    const publishes = byName(spans, `publish ${exchange}`);
    const first = publishes.find((span) => parentOf(span) === undefined); // A's, at the root
    const second = publishes.find((span) => parentOf(span) !== undefined); // B's handler's
    const deliveryB = byName(spans, `process ${serviceB}`)[0];
    const deliveryA = byName(spans, `process ${serviceA}`)[0];
    expect(first && deliveryB && linksTo(deliveryB, first.spanContext())).toBe(true);
    expect(second && deliveryA && linksTo(deliveryA, second.spanContext())).toBe(true);

    const server = new URL(amqpUrl());
    for (const span of [first, second, deliveryA, deliveryB]) {
      expect(span?.attributes).toMatchObject({
        'messaging.system': 'rabbitmq',
        'messaging.destination.name': exchange,
        'server.address': server.hostname,
        'server.port': Number(server.port || 5672),
      });
    }
    expect(deliveryB?.attributes).toMatchObject({
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': serviceB,
      'messaging.rabbitmq.destination.routing_key': 'order.created',
      'rx_pubsub.outcome': 'ack',
    });
    expect(first?.attributes['messaging.message.body.size']).toBe(deliveryB?.attributes['messaging.message.body.size']);
    const sent = (await sdk.metrics()).get('messaging.client.sent.messages');
    expect(sumOf(sent, { 'messaging.system': 'rabbitmq', 'messaging.destination.name': exchange })).toBe(2);
  });

  it('telemetry - retried copies through the delay queue stay in the publisher`s trace; the failed attempt`s span has error status', async () => {
    const sdk = installSdk();
    const { exchange, queue } = names('otel');
    teardown(() => deleteQueues(`${queue}.retry.50`));
    const bus = await connectBus({ url: amqpUrl(), exchange, queue, retry: { attempts: 2, delaysMs: 50 } });
    const settlements = collectSettlements(bus);
    let calls = 0;
    bus.handle('order.*', () => {
      if (++calls === 1) throw new Error('first attempt fails');
    });
    await bus.ready();
    await bus.publish(orderEvent('created'));
    await waitForCount(settlements, 2, 'settlements');
    await waitFor(() => byName(sdk.spans(), `process ${queue}`).length === 2, { description: '2 delivery spans' });

    const spans = sdk.spans();
    const producer = byName(spans, `publish ${exchange}`)[0];
    const deliveries = byName(spans, `process ${queue}`);
    expect(
      deliveries.map((span) => [span.attributes['rx_pubsub.attempt'], span.attributes['rx_pubsub.outcome'], span.status.code]),
    ).toEqual([
      [1, 'retry', SpanStatusCode.ERROR],
      [2, 'ack', SpanStatusCode.UNSET],
    ]);
    for (const delivery of deliveries) {
      expect(delivery.spanContext().traceId).toBe(producer?.spanContext().traceId);
      expect(parentOf(delivery)).toBe(producer?.spanContext().spanId);
    }
    // The retry came back through the default exchange from Q.retry.50; the key it was published with is kept.
    expect(deliveries[1]?.attributes).toMatchObject({
      'messaging.destination.name': '',
      'messaging.rabbitmq.destination.routing_key': 'order.created',
    });
    expect(byName(spans, 'handle order.*').map((span) => span.status.code)).toEqual([SpanStatusCode.ERROR, SpanStatusCode.UNSET]);
  });

  it('telemetry - examples/telemetry.ts against RabbitMQ: one trace of 19 spans, the retry included, and its metrics', async () => {
    const exchange = uniqueName('otel-demo-x');
    const prefix = `${uniqueName('otel-demo')}-`;
    const queues = ['payments', 'shipping', 'notifications'].flatMap((q) => [`${prefix}${q}`, `${prefix}${q}.dlq`]);
    teardown(async () => {
      await deleteQueues(...queues, `${prefix}shipping.retry.50`);
      await deleteExchange(exchange);
    });
    const result = await telemetryDemo({ url: amqpUrl(), exchange, queuePrefix: prefix, metricsPort: 0, log: () => {} });
    expect(result.spans).toHaveLength(19);
    expect(new Set(result.spans.map((span) => span.spanContext().traceId)).size).toBe(1);
    const shipping = byName(result.spans, `process ${prefix}shipping`);
    expect(shipping.map((span) => span.attributes['rx_pubsub.outcome'])).toEqual(['retry', 'ack']);
    expect(shipping.every((span) => span.attributes['messaging.system'] === 'rabbitmq')).toBe(true);
    expect(result.metricsText).toMatch(/^messaging_client_sent_messages_total\{[^}]*messaging_system="rabbitmq"[^}]*\} 3$/m);
  }, 30_000);
});
