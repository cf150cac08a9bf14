/**
 * Traces and metrics with OpenTelemetry: four services of a shop on one
 * broker, the SDK registered as an application does, the spans of one order
 * printed as a tree, and the metrics served for Prometheus.
 *
 *   npx tsx examples/telemetry.ts                                              # in-process broker
 *   AMQP_URL=amqp://guest:guest@localhost:5672 npx tsx examples/telemetry.ts   # RabbitMQ
 *   curl -s localhost:9464/metrics | grep -E '^(messaging|rx_pubsub)'           # while it serves
 *
 * checkout publishes `order.created` under its HTTP request's span; payments
 * charges the card and publishes `order.paid`; shipping calls a flaky carrier
 * API (the first attempt fails and is retried through the delay queue, in the
 * same trace), then publishes `order.shipped`; notifications emails and logs
 * every order event. rx-pubsub needs nothing but `@opentelemetry/api`: the
 * SDK packages are the application's.
 *
 * `main(options)` is exported for the tests; it unregisters what it registered.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, metrics, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { EventBus, type RetryPolicy, type Settlement } from '../src/index.js';
import { ALL_EVENTS, type ExampleEvent, OrderCreated, OrderPaid, OrderShipped, orderTotal } from './events.js';
import { type Log, LogAnalytics, SendEmail } from './handlers.js';
import { isEntryPoint, runAsScript, settled } from './support.js';

export interface TelemetryDemoOptions {
  /** @default process.env.AMQP_URL ?? 'memory://telemetry-demo' */
  readonly url?: string;
  /** @default 'events' */
  readonly exchange?: string;
  /** Prefix of the services' queues (`<prefix>payments`, ...). @default '' */
  readonly queuePrefix?: string;
  /** Where the demo prints. @default console.log */
  readonly log?: Log;
  /** Port of the Prometheus endpoint `/metrics`; 0 picks a free one. @default 9464 */
  readonly metricsPort?: number;
  /** Keep serving the metrics until `signal` aborts (the script does). @default false */
  readonly serve?: boolean;
  readonly signal?: AbortSignal;
  /** Fail when the order's deliveries did not all settle within this time. @default 10000 */
  readonly settleTimeoutMs?: number;
}

export interface TelemetryDemoResult {
  /** Every span ended, the application's and rx-pubsub's. */
  readonly spans: readonly ReadableSpan[];
  /** The span tree as printed. */
  readonly tree: readonly string[];
  /** What `/metrics` served, once the order was through. */
  readonly metricsText: string;
  readonly settlements: readonly Settlement[];
}

/** Registers the SDK, runs one order through the services, prints its trace and serves its metrics. */
export async function main(options: TelemetryDemoOptions = {}): Promise<TelemetryDemoResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const sdk = registerSdk();
  const server = await serveMetrics(sdk.prometheus, options.metricsPort ?? 9464);
  const buses: ServiceBus[] = [];
  try {
    const services = await startServices(options, log, buses);
    const { settlements, traceId } = await placeOrder(services, options, log);
    const spans = sdk.exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    const tree = spanTree(spans);
    log('');
    log(`The trace of one order (${spans.length} spans, trace ${traceId})`);
    for (const line of tree) log(`  ${line}`);

    const url = `http://localhost:${(server.address() as AddressInfo).port}/metrics`;
    const metricsText = await (await fetch(url)).text();
    log('');
    log(`Metrics for Prometheus at ${url} (each summed over its series)`);
    for (const line of metricSummary(metricsText)) log(`  ${line}`);
    if (options.serve === true && options.signal?.aborted !== true) {
      log('');
      log('Serving the metrics while the services run; Ctrl-C to stop.');
      await new Promise((resolve) => options.signal?.addEventListener('abort', resolve, { once: true }));
    }
    return { spans, tree, metricsText, settlements };
  } finally {
    await Promise.all(buses.map((bus) => bus.close({ timeoutMs: 5_000 })));
    await new Promise((resolve) => server.close(resolve));
    await sdk.shutdown();
  }
}

type ServiceBus = EventBus<ExampleEvent>;

interface Services {
  readonly url: string;
  readonly checkout: ServiceBus;
  readonly payments: ServiceBus;
  readonly shipping: ServiceBus;
  readonly notifications: ServiceBus;
}

/** Connects the four services (into `buses`, which the caller closes) and registers their handlers. */
async function startServices(options: TelemetryDemoOptions, log: Log, buses: ServiceBus[]): Promise<Services> {
  const url = options.url ?? process.env.AMQP_URL ?? 'memory://telemetry-demo';
  const connect = async (name: string, queue?: string, retry?: RetryPolicy): Promise<ServiceBus> => {
    const bus = await EventBus.connect({
      url,
      exchange: options.exchange ?? 'events',
      events: ALL_EVENTS,
      connectionName: name,
      ...(queue === undefined ? {} : { queue: `${options.queuePrefix ?? ''}${queue}` }),
      ...(retry === undefined ? {} : { retry }),
    });
    buses.push(bus);
    return bus;
  };
  const checkout = await connect('checkout');
  const payments = await connect('payments', 'payments');
  // The carrier's API is flaky: a failed attempt waits 50 ms in shipping.retry.50, then comes back.
  const shipping = await connect('shipping', 'shipping', { attempts: 3, delaysMs: 50 });
  const notifications = await connect('notifications', 'notifications');

  payments.handle('order.created', async (order) => {
    const { order_id, user_id, total, currency } = order.data;
    await sleep(5); // the card network
    log(`  [payments]       charged ${total.toFixed(2)} ${currency} for ${order_id}`);
    const paid = { order_id, user_id, amount: total, currency, payment_method: 'card' as const, transaction_id: 'txn-7f3a9c' };
    await payments.publish(OrderPaid.create(paid, { correlationId: order.correlationId, causationId: order.id }));
  });
  let carrierCalls = 0;
  shipping.handle('order.paid', async (payment) => {
    await sleep(5); // the carrier's API
    if (++carrierCalls === 1) throw new Error('carrier API timed out (503)');
    const { order_id, user_id } = payment.data;
    log(`  [shipping]       ${order_id} handed to DHL`);
    const shipped = { order_id, user_id, carrier: 'DHL', tracking_number: 'JD014600003828' };
    await shipping.publish(OrderShipped.create(shipped, { correlationId: payment.correlationId, causationId: payment.id }));
  });
  notifications.handle('order.*', new SendEmail(indent(log), { latencyMs: 5 }));
  notifications.handle('*', new LogAnalytics(() => {}, { latencyMs: 2 }));
  await Promise.all(buses.map((bus) => bus.ready()));
  return { url, checkout, payments, shipping, notifications };
}

/** checkout places an order under its HTTP request's span; resolves once every delivery of it settled. */
async function placeOrder(
  { url, checkout, payments, shipping, notifications }: Services,
  options: TelemetryDemoOptions,
  log: Log,
): Promise<{ settlements: Settlement[]; traceId: string }> {
  const correlationId = randomUUID();
  const mine = (s: Settlement): boolean => s.event?.correlationId === correlationId;
  const waits = { timeoutMs: options.settleTimeoutMs ?? 10_000, where: mine, signal: options.signal };
  const done = Promise.all([
    settled(payments, { ...waits, count: 1 }),
    settled(shipping, { ...waits, count: 2 }), // the failed attempt, then the retry
    settled(notifications, { ...waits, count: 3 }),
  ]);

  log(`rx-pubsub telemetry demo on ${url.startsWith('memory://') ? 'the in-process broker' : 'RabbitMQ'}`);
  const items = [{ sku: 'SKU-KEYBOARD', name: 'Mechanical keyboard', quantity: 1, unit_price: 89.9 }];
  const order = OrderCreated.create(
    { order_id: 'A-1001', user_id: 'u-1001', items, total: orderTotal(items), currency: 'EUR' },
    { correlationId },
  );
  // The checkout's own HTTP span: the publish, and everything after it, joins its trace.
  const traceId = await trace.getTracer('checkout-api').startActiveSpan('POST /checkout', { kind: SpanKind.SERVER }, async (span) => {
    log(`  [checkout]       order ${order.data.order_id} placed`);
    await checkout.publish(order);
    span.end();
    return span.spanContext().traceId;
  });
  return { settlements: (await done).flat(), traceId };
}

interface RegisteredSdk {
  readonly exporter: InMemorySpanExporter;
  readonly prometheus: PrometheusExporter;
  shutdown(): Promise<void>;
}

/**
 * The SDK as an application registers it, before connecting: spans kept in
 * memory (a real service exports them, e.g. OTLP to a collector), metrics
 * read by Prometheus, the AsyncLocalStorage context manager (a handler's
 * work becomes its span's child) and the W3C propagators (the trace crosses
 * the broker in the message headers).
 */
function registerSdk(): RegisteredSdk {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [prometheus] });
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  return {
    exporter,
    prometheus,
    shutdown: async () => {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
      for (const api of [trace, metrics, propagation, context]) api.disable();
    },
  };
}

/** `/metrics` on `port`, answered by the Prometheus exporter. */
async function serveMetrics(prometheus: PrometheusExporter, port: number): Promise<Server> {
  const server = createServer((request, response) => prometheus.getMetricsRequestHandler(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return server;
}

/** The spans as a tree, children under their parent in start order: name, kind, duration, and what the span says. */
export function spanTree(spans: readonly ReadableSpan[]): string[] {
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const children = new Map<string | undefined, ReadableSpan[]>();
  const started = [...spans].sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  for (const span of started) {
    const parent = span.parentSpanContext?.spanId;
    const key = parent !== undefined && ids.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, indent: string): void => {
    for (const span of children.get(parent) ?? []) {
      const name = `${indent}${parent === undefined ? '' : '└─ '}${span.name}`;
      const ms = (span.duration[0] * 1e3 + span.duration[1] / 1e6).toFixed(1);
      lines.push(`${name.padEnd(44)} ${SpanKind[span.kind].padEnd(8)} ${ms.padStart(7)} ms  ${describe(span)}`.trimEnd());
      walk(span.spanContext().spanId, parent === undefined ? indent : `${indent}   `);
    }
  };
  walk(undefined, '');
  return lines;
}

function describe(span: ReadableSpan): string {
  const a = span.attributes;
  const parts: string[] = [];
  if (a['messaging.rabbitmq.destination.routing_key'] !== undefined) parts.push(String(a['messaging.rabbitmq.destination.routing_key']));
  if (a['rx_pubsub.attempt'] !== undefined && span.kind === SpanKind.CONSUMER) parts.push(`attempt ${String(a['rx_pubsub.attempt'])}`);
  if (a['rx_pubsub.outcome'] !== undefined) parts.push(`→ ${String(a['rx_pubsub.outcome'])}`);
  if (span.status.code === SpanStatusCode.ERROR) parts.push(`ERROR ${span.status.message ?? ''}`.trim());
  return parts.join('  ');
}

/**
 * One line per rx-pubsub metric family of a Prometheus text exposition: its
 * name, type and value summed over its series (observations for a histogram).
 */
export function metricSummary(text: string): string[] {
  const families = new Map<string, { type: string; total: number }>();
  for (const line of text.split('\n')) {
    const declared = /^# TYPE ((?:messaging|rx_pubsub)_\w+) (\w+)/.exec(line);
    if (declared?.[1] !== undefined && declared[2] !== undefined) families.set(declared[1], { type: declared[2], total: 0 });
    const sample = /^((?:messaging|rx_pubsub)_\w+?)(_count|_sum|_bucket)?(?:\{[^}]*\})? (\S+)$/.exec(line);
    const family = sample?.[1] === undefined ? undefined : families.get(sample[1]);
    if (family === undefined || sample === null) continue;
    if (family.type !== 'histogram' || sample[2] === '_count') family.total += Number(sample[3]);
  }
  return [...families].map(
    ([name, { type, total }]) => `${name.padEnd(44)} ${type.padEnd(9)} ${total}${type === 'histogram' ? ' observations' : ''}`,
  );
}

function indent(log: Log): Log {
  return (line) => log(`  ${line}`);
}

if (isEntryPoint(import.meta.url)) {
  runAsScript((signal) => main({ signal, serve: true }));
}
