/**
 * The OpenTelemetry SDK as an application registers it, for the telemetry
 * tests: a tracer provider exporting to memory, the AsyncLocalStorage context
 * manager, the W3C trace-context and baggage propagators, and a meter provider
 * whose metrics a test collects on demand. Everything is unregistered after the test.
 */
import { context, metrics, propagation, type SpanContext, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { type DataPoint, type MetricData, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { teardown } from './broker.js';

/** A reader that exports nothing by itself: `collect()` reads the metrics now. */
export class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface InstalledSdk {
  readonly tracerProvider: BasicTracerProvider;
  readonly meterProvider: MeterProvider;
  /** Every span ended so far. */
  spans(): ReadableSpan[];
  /** Every metric recorded so far, by name. */
  metrics(): Promise<Map<string, MetricData>>;
}

export interface SdkOptions {
  readonly sampler?: Sampler;
  /** Extra processors (a hostile one), before the exporting one. */
  readonly processors?: readonly SpanProcessor[];
}

/** A tracer provider exporting to memory and a meter provider collected on demand, registered nowhere; shut down after the test. */
export function sdkProviders(options: SdkOptions = {}): InstalledSdk {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [...(options.processors ?? []), new SimpleSpanProcessor(exporter)],
    ...(options.sampler ? { sampler: options.sampler } : {}),
  });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  teardown(async () => {
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
  });
  return {
    tracerProvider,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    metrics: async () => {
      const { resourceMetrics } = await reader.collect();
      return new Map(resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).map((metric) => [metric.descriptor.name, metric]));
    },
  };
}

/**
 * Registers an SDK for the current test as an application does (global tracer
 * and meter providers, the AsyncLocalStorage context manager, the W3C
 * propagators); unregistered when the test finishes.
 */
export function installSdk(options: SdkOptions = {}): InstalledSdk {
  const sdk = sdkProviders(options);
  installContext();
  trace.setGlobalTracerProvider(sdk.tracerProvider);
  metrics.setGlobalMeterProvider(sdk.meterProvider);
  return sdk;
}

/** Registers only the context manager and the W3C propagators (for providers passed as options); unregistered after the test. */
export function installContext(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  teardown(() => uninstallSdk());
}

/** Unregisters every global the SDK set: the API is back to its no-op state. */
export function uninstallSdk(): void {
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
}

/** The data points of a metric whose attributes include `attributes`. */
export function pointsOf(metric: MetricData | undefined, attributes: Record<string, unknown> = {}): DataPoint<unknown>[] {
  const points = (metric?.dataPoints ?? []) as DataPoint<unknown>[];
  return points.filter((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value));
}

/** The sum of a counter's points matching `attributes`. */
export function sumOf(metric: MetricData | undefined, attributes: Record<string, unknown> = {}): number {
  return pointsOf(metric, attributes).reduce((sum, point) => sum + (point.value as number), 0);
}

/** A span's parent span id (SDK 2.x: `parentSpanContext`). */
export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** The span tree as lines: `name [kind] attributes`, children indented. */
export function spanTree(spans: readonly ReadableSpan[], show: (span: ReadableSpan) => string = (span) => span.name): string[] {
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of [...spans].sort((a, b) => compareTime(a.startTime, b.startTime))) {
    const parent = parentOf(span);
    const key = parent !== undefined && ids.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number): void => {
    for (const span of children.get(parent) ?? []) {
      lines.push(`${'  '.repeat(depth)}${show(span)}`);
      walk(span.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines;
}

function compareTime(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** Whether `span` links to the span of `target`. */
export function linksTo(span: ReadableSpan, target: SpanContext): boolean {
  return span.links.some((link) => link.context.spanId === target.spanId && link.context.traceId === target.traceId);
}
