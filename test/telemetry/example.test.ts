/**
 * examples/telemetry.ts as a user runs it, on a memory broker of its own:
 * the span tree of one order and the Prometheus metrics it serves.
 */
import { metrics, trace, ProxyTracerProvider, createNoopMeter } from '@opentelemetry/api';
import { expect, it } from 'vitest';
import { main, metricSummary } from '../../examples/telemetry.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { teardown, uniqueName } from '../support/broker.js';

it('examples - telemetry: the trace of one order through four services, as a tree, and its metrics for Prometheus', async () => {
  const broker = uniqueName('otel-demo');
  teardown(() => void MemoryBroker.reset(broker));
  const lines: string[] = [];
  const result = await main({ url: `memory://${broker}`, metricsPort: 0, log: (line) => lines.push(line) });

  // Depth, name, kind and what each span says; durations, and the order of siblings started together, vary.
  const depthOf = (line: string): number => (line.includes('└─') ? line.indexOf('└─') / 3 + 1 : 0);
  const shown = result.tree.map(
    (line) =>
      `${depthOf(line)} ${line
        .replace(/[└─]/g, '')
        .replace(/\s+[\d.]+ ms/, '')
        .trim()
        .replace(/\s+/g, ' ')}`,
  );
  expect(shown.sort()).toEqual(
    [
      '0 POST /checkout SERVER',
      '1 publish events PRODUCER order.created',
      '2 process payments CONSUMER order.created attempt 1 → ack',
      '3 handle order.created INTERNAL',
      '4 publish events PRODUCER order.paid',
      '5 process shipping CONSUMER order.paid attempt 1 → retry ERROR order.paid: carrier API timed out (503)',
      '6 handle order.paid INTERNAL ERROR carrier API timed out (503)',
      '5 process notifications CONSUMER order.paid attempt 1 → ack',
      '6 handle order.* INTERNAL',
      '6 handle * INTERNAL',
      '5 process shipping CONSUMER order.paid attempt 2 → ack',
      '6 handle order.paid INTERNAL',
      '7 publish events PRODUCER order.shipped',
      '8 process notifications CONSUMER order.shipped attempt 1 → ack',
      '9 handle order.* INTERNAL',
      '9 handle * INTERNAL',
      '2 process notifications CONSUMER order.created attempt 1 → ack',
      '3 handle order.* INTERNAL',
      '3 handle * INTERNAL',
    ].sort(),
  );
  expect(result.settlements.map((s) => s.outcome.kind).sort()).toEqual(['ack', 'ack', 'ack', 'ack', 'ack', 'retry']);
  expect(lines.join('\n')).toContain(`The trace of one order (19 spans`);

  expect(metricSummary(result.metricsText).map((line) => line.split(/\s+/).slice(0, 3).join(' '))).toEqual(
    expect.arrayContaining([
      'messaging_client_operation_duration histogram 3',
      'messaging_client_sent_messages_total counter 3',
      'messaging_client_consumed_messages_total counter 6',
      'messaging_process_duration histogram 6',
      'rx_pubsub_handler_duration histogram 9',
      'rx_pubsub_retries_total counter 1',
      'rx_pubsub_deliveries_active gauge 0',
    ]),
  );
  // It unregistered what it registered.
  const provider = trace.getTracerProvider();
  expect(provider instanceof ProxyTracerProvider && provider.getDelegate() === new ProxyTracerProvider().getDelegate()).toBe(true);
  expect(metrics.getMeter('x')).toBe(createNoopMeter());
}, 20_000);
