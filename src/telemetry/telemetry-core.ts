import type { Context, Span, Tracer } from '@opentelemetry/api';
import { messageOf } from '../errors.js';
import { redactText } from '../redact-url.js';
import type { BusMetrics } from './bus-metrics.js';
import { Attr, type BrokerIdentity, errorTypeOf } from './messaging-attributes.js';
import type { OtelApi } from './otel-api.js';
import type { TelemetryGuard } from './telemetry-guard.js';

/** What a delivery's or a publish's telemetry needs from its bus. */
export interface TelemetryCore {
  readonly api: OtelApi;
  readonly tracer: Tracer;
  /** Undefined when no meter records (no SDK at connect). */
  readonly metrics: BusMetrics | undefined;
  readonly guard: TelemetryGuard;
  /** The service queue ('' on a publish-only bus, which has no deliveries). */
  readonly queue: string;
  /** The broker the bus is connected to now. */
  broker(): BrokerIdentity;
}

/**
 * `work()` inside `context` (what it starts, even later, is the context's
 * child). A context manager that fails leaves `work` to run outside it, once;
 * what `work` itself throws is rethrown.
 */
export function runIn<T>(core: TelemetryCore, context: Context, work: () => T): T {
  let called = false;
  try {
    return core.api.context.with(context, () => {
      called = true;
      return work();
    });
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set inside the callback, which TypeScript does not follow
    if (called) throw error;
    core.guard.failed(error);
    return work();
  }
}

/**
 * Marks a span failed: error status, `error.type`, and the exception, its
 * message and stack redacted (a handler's error may quote a connection
 * string: its password never leaves in a trace either).
 */
export function recordFailure(core: TelemetryCore, span: Span, error: unknown, status?: string): void {
  const message = redactText(messageOf(error));
  const { name, stack } = readable(error);
  span.recordException({ name, message, ...(stack === undefined ? {} : { stack: redactText(stack) }) });
  span.setAttribute(Attr.ERROR_TYPE, errorTypeOf(error));
  span.setStatus({ code: core.api.SpanStatusCode.ERROR, message: status ?? message });
}

// The error is the application's: its getters may throw or return anything.
function readable(error: unknown): { name: string; stack: string | undefined } {
  try {
    const { name, stack } = error as { name?: unknown; stack?: unknown };
    return { name: typeof name === 'string' ? name : 'Error', stack: typeof stack === 'string' ? stack : undefined };
  } catch {
    return { name: 'Error', stack: undefined };
  }
}

/** Seconds since `startMs` (a `performance.now()`). */
export function secondsSince(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}
