import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';

/**
 * The OpenTelemetry SDK as an application registers it, exporting to memory
 * (no network in a benchmark): every span sampled (AlwaysOnSampler, the
 * worst case), a batch span processor, AsyncLocalStorage context, W3C
 * propagation, metrics read every second. Resolved from the repository's
 * devDependencies (the same @opentelemetry/api copy rx-pubsub loads).
 */
export async function registerOtelSdk(): Promise<void> {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new BatchSpanProcessor(spans, { maxQueueSize: 8192, scheduledDelayMillis: 200 })],
  });
  // Keep memory flat: the exporter would hold every span of the run.
  setInterval(() => spans.reset(), 1000).unref();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(tracerProvider);
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 1000 })] }));
  setInterval(() => exporter.reset(), 1000).unref();
}
