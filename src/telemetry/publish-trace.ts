import type { Span } from '@opentelemetry/api';
import type { OutboundMessage } from '../transport/transport.js';
import { headerSetter } from './header-carrier.js';
import { errorTypeOf, publishAttributes } from './messaging-attributes.js';
import { recordFailure, secondsSince, type TelemetryCore } from './telemetry-core.js';

/**
 * One publish, traced and measured: a PRODUCER span `publish <exchange>`,
 * child of the active context (a handler's span, when a handler publishes),
 * whose context the global propagator writes into the message headers
 * (`traceparent`, `tracestate`, `baggage`); it ends on the broker's confirm
 * or refusal. Resolves or rejects as `send` does; a failing SDK call is skipped.
 */
export function tracedPublish(
  core: TelemetryCore,
  tracing: boolean,
  message: OutboundMessage,
  send: (message: OutboundMessage) => Promise<void>,
): Promise<void> {
  const startedAt = performance.now();
  const started = tracing ? core.guard.attempt(() => startSpan(core, message), undefined) : undefined;
  const ended = (error: unknown): void => {
    const { guard, metrics } = core;
    if (metrics)
      guard.attempt(
        () => metrics.published(message.exchange, secondsSince(startedAt), error === undefined ? undefined : errorTypeOf(error)),
        undefined,
      );
    const span = started?.span;
    if (span === undefined) return;
    guard.attempt(() => {
      if (error !== undefined) recordFailure(core, span, error);
      span.end();
    }, undefined);
  };
  try {
    return send(started?.message ?? message).then(
      () => ended(undefined),
      (error: unknown) => {
        ended(error ?? UNDEFINED_REASON);
        return Promise.reject(error);
      },
    );
  } catch (error) {
    ended(error ?? UNDEFINED_REASON); // a transport's publish that throws (or returns no Promise)
    throw error;
  }
}

const UNDEFINED_REASON = 'the transport failed with undefined';

function startSpan(core: TelemetryCore, message: OutboundMessage): { span: Span; message: OutboundMessage } {
  const { api, tracer } = core;
  const parent = api.context.active();
  const attributes = publishAttributes(message, core.broker());
  const span = tracer.startSpan(`publish ${message.exchange}`, { kind: api.SpanKind.PRODUCER, attributes }, parent);
  const headers: Record<string, unknown> = { ...message.properties.headers };
  const before = Object.keys(headers).length;
  try {
    api.propagation.inject(api.trace.setSpan(parent, span), headers, headerSetter);
  } catch (error) {
    core.guard.failed(error); // a failing propagator: the span stays, the message goes without the context
    return { span, message };
  }
  // No propagator registered (or it wrote nothing): the message goes as it came.
  if (Object.keys(headers).length === before) return { span, message };
  return { span, message: { ...message, properties: { ...message.properties, headers } } };
}
