/**
 * Helpers of the event history tests (`replay$`), on both transports: a bus
 * with the history option whose stream is deleted when the test finishes,
 * numbered events, and a replay collected with a bound.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { lastValueFrom, type Observable, timeout, toArray } from 'rxjs';
import { createEvent, type Event, type EventBus, type EventBusOptions, type HistoryOptions } from '../../src/index.js';
import { rabbitmqctl } from './broker.js';
import { connectBus, deleteQueues, teardown } from './bus.js';

/**
 * `connectBus` with `history` (default `{}`: stream `<exchange>.history`); on
 * RabbitMQ the stream is deleted when the test finishes, after the bus closed.
 */
export async function historyBus(options: EventBusOptions & { url: string }, history: HistoryOptions = {}): Promise<EventBus> {
  const stream = history.stream ?? `${options.exchange ?? 'events'}.history`;
  if (!options.url.startsWith('memory://')) teardown(() => deleteQueues(stream));
  return connectBus({ ...options, history });
}

/** `count` events numbered from `from` in `data.n`, alternately `order.created` and `user.registered`. */
export function numberedEvents(count: number, from = 0): Event[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    return n % 2 === 0
      ? createEvent({ domain: 'order', action: 'created', data: { n, order_id: `A${n}` } })
      : createEvent({ domain: 'user', action: 'registered', data: { n } });
  });
}

/** Publishes in order, each confirmed before the next. */
export async function publishInOrder(bus: EventBus, events: readonly Event[]): Promise<void> {
  for (const event of events) await bus.publish(event);
}

/** The `data.n` of each event. */
export function numbersOf(events: readonly Event[]): number[] {
  return events.map((event) => (event.data as { n: number }).n);
}

/** Every event `replay$` emits until it completes; rejects when it did not complete within `timeoutMs`. */
export function replayed(events$: Observable<Event>, timeoutMs = 10_000): Promise<Event[]> {
  return lastValueFrom(events$.pipe(toArray(), timeout(timeoutMs)));
}

// A full garbage collection on demand, so that a measure counts what is retained, not garbage not yet collected.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Bytes the process retains now (JS heap and Buffers), after a full garbage collection. */
export function retainedBytes(): number {
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Publishes `count` order events of about `bytes` bytes each, `data.n` numbered, 500 at a time. */
export async function publishPadded(bus: EventBus, count: number, bytes: number): Promise<void> {
  const padding = 'x'.repeat(bytes);
  for (let start = 0; start < count; start += 500) {
    const batch = Array.from({ length: Math.min(500, count - start) }, (_, i) =>
      createEvent({ domain: 'order', action: 'created', data: { n: start + i, padding } }),
    );
    await Promise.all(batch.map((event) => bus.publish(event)));
  }
}

/** What a slow subscriber saw of a replay, and the most the process retained meanwhile above what it did before. */
export interface SlowReplay {
  readonly seen: number;
  readonly inOrder: boolean;
  readonly peakBytes: number;
}

/**
 * Replays everything with a subscriber that works `workMs` per event
 * (synchronously, as a projection into a read model does) and measures, every
 * `sampleEvery` events, the bytes retained above those retained before it
 * subscribed. A replay that held records ahead of its subscriber (read
 * without waiting for its acks) would show them here.
 */
export async function slowReplay(bus: EventBus, { workMs = 0.05, sampleEvery = 1_000, prefetch = 100 } = {}): Promise<SlowReplay> {
  // What publishing left (confirms in flight, batches) is released first: the baseline is the history at rest.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const baseline = retainedBytes();
  let seen = 0;
  let inOrder = true;
  let peakBytes = 0;
  return new Promise((resolve, reject) => {
    bus.replay$('*', { from: 'first', prefetch }).subscribe({
      next: (event) => {
        inOrder &&= (event.data as { n: number }).n === seen;
        seen++;
        const until = performance.now() + workMs;
        while (performance.now() < until);
        if (seen % sampleEvery === 0) peakBytes = Math.max(peakBytes, retainedBytes() - baseline);
      },
      error: reject,
      complete: () => resolve({ seen, inOrder, peakBytes }),
    });
  });
}

/**
 * The channels and consumers RabbitMQ counts now on the connection named
 * `connectionName` (a bus's consuming connection is `<connectionName> (consume)`).
 * RabbitMQ 3.10's `list_consumers` leaves out stream consumers; `list_channels` counts them.
 */
export async function consumersOn(connectionName: string): Promise<{ readonly channels: number; readonly consumers: number }> {
  const connections = JSON.parse(await rabbitmqctl('list_connections', 'name', 'client_properties', '--formatter', 'json', '-q')) as {
    name: string;
    client_properties: unknown[][];
  }[];
  const connection = connections.find((c) => c.client_properties.some(([key, , value]) => key === 'connection_name' && value === connectionName));
  if (connection === undefined) return { channels: 0, consumers: 0 };
  const channels = (JSON.parse(await rabbitmqctl('list_channels', 'name', 'consumer_count', '--formatter', 'json', '-q')) as {
    name: string;
    consumer_count: number;
  }[]).filter((channel) => channel.name.startsWith(`${connection.name} (`));
  return { channels: channels.length, consumers: channels.reduce((sum, channel) => sum + channel.consumer_count, 0) };
}
