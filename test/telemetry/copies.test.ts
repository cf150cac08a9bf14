/**
 * Retry and dead-letter copies keep the trace context of the original
 * message: `traceparent`, `tracestate` and `baggage` are foreign headers, and
 * copy-headers.ts keeps those (within its size budget).
 */
import { describe, expect, it } from 'vitest';
import { deadLetterOf, retryOf } from '../../src/bus/dead-letter.js';
import type { Failed } from '../../src/core/outcome.js';
import { fakeDelivery } from '../../src/testing/fake-delivery.js';
import type { Delivery } from '../../src/transport/transport.js';
import { orderEvent } from '../support/bus.js';

const TRACE_HEADERS = {
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  tracestate: 'vendor=1,other=2',
  baggage: 'tenant=acme',
};

function traced(extra: Record<string, unknown> = {}): Delivery {
  const delivery = fakeDelivery(orderEvent());
  return { ...delivery, properties: { ...delivery.properties, headers: { ...TRACE_HEADERS, ...extra } } };
}

const FAILED: Failed = { attempt: 1, reason: 'order.*: db down', failures: [{ pattern: 'order.*', error: new Error('db down') }] };

describe('telemetry - trace context on copies', () => {
  it('telemetry - a dead-letter copy keeps traceparent, tracestate and baggage', () => {
    expect(deadLetterOf(traced(), 'q.dlq', FAILED, 1_000).properties.headers).toMatchObject(TRACE_HEADERS);
  });

  it('telemetry - a retry copy keeps traceparent, tracestate and baggage', () => {
    expect(retryOf(traced(), 'q.retry.100', FAILED, ['order.*'], 1_000).properties.headers).toMatchObject(TRACE_HEADERS);
  });

  it('telemetry - beside foreign headers past the copy budget the trace context is dropped with them, counted', () => {
    const copy = retryOf(traced({ big: 'x'.repeat(40 * 1024) }), 'q.retry.100', FAILED, ['order.*'], 1_000);
    expect(copy.properties.headers).not.toHaveProperty('traceparent');
    expect(copy.properties.headers?.['rx-pubsub-dropped-headers']).toBe(4);
  });
});
