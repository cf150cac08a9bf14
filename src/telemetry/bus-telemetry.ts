import type { Meter, Tracer } from '@opentelemetry/api';
import type { Subscription } from 'rxjs';
import type { Logger } from '../logger.js';
import type { ConnectionState, Delivery, OutboundMessage, Transport } from '../transport/transport.js';
import { BusMetrics } from './bus-metrics.js';
import { DeliveryTrace } from './delivery-trace.js';
import { type BrokerIdentity, brokerOf } from './messaging-attributes.js';
import { loadOtelApi, type OtelApi } from './otel-api.js';
import type { TelemetryCore } from './telemetry-core.js';
import { TelemetryGuard } from './telemetry-guard.js';
import type { DeliveryTelemetry, PipelineTelemetry, PublishTelemetry } from './telemetry-hooks.js';
import type { ResolvedTelemetry } from './telemetry-options.js';
import { tracedPublish } from './publish-trace.js';

/** The instrumentation scope of every span and metric. */
export const INSTRUMENTATION_NAME = 'rx-pubsub';

/** What a bus's telemetry needs to know about the bus (its resolved options have it). */
export interface TelemetryConfig {
  readonly telemetry: ResolvedTelemetry;
  readonly queue: string | undefined;
  readonly exchange: string;
  readonly connectionName: string;
  readonly logger: Logger;
}

/**
 * The bus's telemetry, or undefined when it is off (`telemetry: false`) or
 * `@opentelemetry/api` is not installed. Never rejects: a failing SDK leaves telemetry off, logged.
 */
export async function startTelemetry(config: TelemetryConfig, transport: Transport): Promise<BusTelemetry | undefined> {
  if (!config.telemetry.enabled) return undefined;
  const api = await loadOtelApi();
  if (api === undefined) return undefined;
  const guard = new TelemetryGuard(config.logger);
  return guard.attempt(() => new BusTelemetry(api, config, transport, guard), undefined);
}

/**
 * One bus's traces and metrics, behind the hooks the pipeline and the sender
 * call. With no SDK registered it costs one check per delivery and per
 * publish: the global tracer provider has no delegate and the meter was the
 * no-op one at connect, so nothing else runs (no span, context or attribute object).
 */
export class BusTelemetry implements PipelineTelemetry, PublishTelemetry, TelemetryCore {
  readonly tracer: Tracer;
  readonly metrics: BusMetrics | undefined;
  readonly queue: string;
  /** Whether spans may record now: an SDK may register its tracer provider after connect. */
  private readonly tracing: () => boolean;
  private current: BrokerIdentity;
  private readonly state: Subscription | undefined;
  /** A connection was lost since the last `connected`: the next one is a reconnect. */
  private lost = false;

  constructor(
    readonly api: OtelApi,
    parts: TelemetryConfig,
    transport: Transport,
    readonly guard: TelemetryGuard,
  ) {
    const { tracerProvider, meterProvider } = parts.telemetry;
    this.queue = parts.queue ?? '';
    this.current = brokerOf(undefined);
    this.tracer = (tracerProvider ?? api.trace.getTracerProvider()).getTracer(INSTRUMENTATION_NAME) as Tracer;
    this.tracing = tracerProvider === undefined ? globalTracingGate(api) : () => true;
    const meter = (meterProvider ?? api.metrics.getMeterProvider()).getMeter(INSTRUMENTATION_NAME) as Meter;
    this.metrics =
      meter === api.createNoopMeter()
        ? undefined
        : new BusMetrics(
            {
              meter,
              queue: parts.queue,
              exchange: parts.exchange,
              connectionName: parts.connectionName,
              publisherStatus: () => transport.publisherStatus?.(),
              guard,
            },
            this.current,
          );
    this.state = guard.attempt(
      () =>
        transport.state$.subscribe({
          next: (state) => guard.attempt(() => this.stateChanged(state), undefined),
          error: () => undefined,
        }),
      undefined,
    );
  }

  broker(): BrokerIdentity {
    return this.current;
  }

  delivery(delivery: Delivery): DeliveryTelemetry | undefined {
    const tracing = this.tracing();
    if (!tracing && this.metrics === undefined) return undefined;
    return new DeliveryTrace(this, delivery, tracing);
  }

  recording(): boolean {
    return this.metrics !== undefined || this.tracing();
  }

  publish(message: OutboundMessage, send: (message: OutboundMessage) => Promise<void>): Promise<void> {
    const tracing = this.tracing();
    if (!tracing && this.metrics === undefined) return send(message);
    return tracedPublish(this, tracing, message, send);
  }

  /** The bus closed: its gauges stop reporting, its state is no longer watched. */
  close(): void {
    this.state?.unsubscribe();
    this.metrics?.close();
  }

  private stateChanged(state: ConnectionState): void {
    if (state.status === 'disconnected') this.lost = true;
    if (state.status !== 'connected') return;
    this.current = brokerOf(state.url);
    this.metrics?.brokerChanged(this.current);
    if (this.lost) this.metrics?.reconnected();
    this.lost = false;
  }
}

/**
 * Whether the global tracer provider has an SDK behind it, now: the global is
 * a ProxyTracerProvider whose delegate is the API's no-op provider until an
 * SDK registers. A fresh proxy's delegate is that very no-op instance.
 */
function globalTracingGate(api: OtelApi): () => boolean {
  const noop = new api.ProxyTracerProvider().getDelegate();
  return () => {
    const provider = api.trace.getTracerProvider();
    return !(provider instanceof api.ProxyTracerProvider) || provider.getDelegate() !== noop;
  };
}
