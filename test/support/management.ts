/** The management HTTP API as broker tests see it: its URL (from the global setup) and a queue's bindings. */
import { inject } from 'vitest';
import { amqpUrl } from './broker.js';
import { basicAuthOf, DEFAULT_MANAGEMENT_URL } from './management-plugin.js';

/** The management API the global setup made sure answers. */
export function managementUrl(): string {
  return inject('managementUrl') ?? DEFAULT_MANAGEMENT_URL;
}

/** A binding as the management API lists it (the default exchange's implicit one left out). */
export interface ListedBinding {
  readonly exchange: string;
  readonly routingKey: string;
}

/** The queue's bindings on the broker, sorted by exchange and key. */
export async function bindingsOf(queue: string): Promise<ListedBinding[]> {
  const response = await fetch(`${managementUrl()}/api/queues/%2F/${encodeURIComponent(queue)}/bindings`, {
    headers: { authorization: basicAuthOf(amqpUrl()) },
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`GET the bindings of ${queue}: HTTP ${response.status}`);
  const rows = (await response.json()) as { source: string; routing_key: string }[];
  return rows
    .filter((row) => row.source !== '')
    .map((row) => ({ exchange: row.source, routingKey: row.routing_key }))
    .sort((a, b) => `${a.exchange} ${a.routingKey}`.localeCompare(`${b.exchange} ${b.routingKey}`));
}
