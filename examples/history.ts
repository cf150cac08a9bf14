/**
 * The event history. A bus connected with `history: { maxAge: '7D' }` keeps
 * every event published to the exchange in a stream (on RabbitMQ, a stream
 * queue bound with `#`; on memory://, an in-process log), and
 * `bus.replay$(pattern, { from })` reads them back as an Observable, typed by
 * the catalog like `on$`:
 *
 * 1. rebuild a read model:  replay$('order.*', { from: 'first' }) → a projection into a Map
 * 2. audit one order:       replay$('order.*', { from: 'first' }) → filter(its order_id)
 * 3. debug the last hour:   replay$('*', { from: <an hour ago> })   → counts per type
 * 4. history, then live:    replay$('order.*', { from: 'first', follow: true })
 *
 * The projection is synchronous: a replay reads the stream `prefetch` events
 * ahead of its subscriber and acks each one when the subscriber's `next`
 * returns, so the broker sends no faster than the model is built.
 *
 *   npx tsx examples/history.ts                                              # in-process broker
 *   AMQP_URL=amqp://guest:guest@localhost:5672 npx tsx examples/history.ts   # RabbitMQ (stream events.history)
 */
import { randomUUID } from 'node:crypto';
import { filter, firstValueFrom, lastValueFrom, reduce, take, timeout, toArray } from 'rxjs';
import { EventBus, routingKeyOf } from '../src/index.js';
import { ALL_EVENTS, type ExampleEvent, OrderCreated, type OrderEvent } from './events.js';
import type { Log } from './handlers.js';
import { burstEvents } from './stream-app.js';
import { isEntryPoint, runAsScript, throwIfAborted } from './support.js';

export interface HistoryDemoOptions {
  /** @default process.env.AMQP_URL ?? 'memory://history-demo' */
  readonly url?: string;
  /** @default 'events' (its history: the stream `<exchange>.history`) */
  readonly exchange?: string;
  /** Where the demo prints. @default console.log */
  readonly log?: Log;
  /** Orders published before the replays. @default 8 */
  readonly orders?: number;
  /** Stop early (the bus is still closed). */
  readonly signal?: AbortSignal;
}

/** One order as the read model holds it. */
export interface OrderView {
  readonly order_id: string;
  readonly status: OrderEvent['action'];
  readonly total: number;
  readonly currency: string;
  /** The order events it was built from. */
  readonly events: number;
}

export interface HistoryDemoResult {
  readonly runId: string;
  readonly published: readonly ExampleEvent[];
  /** 1: the read model rebuilt from the history. */
  readonly orders: ReadonlyMap<string, OrderView>;
  /** 2: the events of one order, in the order they were published. */
  readonly audit: readonly OrderEvent[];
  /** 3: this run's events of the last hour, per routing key. */
  readonly lastHour: Readonly<Record<string, number>>;
  /** 4: the model built by a following replay, after one more order was published. */
  readonly live: ReadonlyMap<string, OrderView>;
}

const REPLAY_TIMEOUT_MS = 15_000;

/** Runs the demo and returns what each replay saw; closes the bus whatever happens. */
export async function main(options: HistoryDemoOptions = {}): Promise<HistoryDemoResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const url = options.url ?? process.env.AMQP_URL ?? 'memory://history-demo';
  const runId = randomUUID();
  // On RabbitMQ the stream outlives the demo: each replay keeps to this run's events (`metadata.run`).
  const thisRun = (event: ExampleEvent): boolean => event.metadata?.run === runId;
  const published = burstEvents(runId, options.orders ?? 8);

  log('rx-pubsub event history');
  const bus = await EventBus.connect({ url, exchange: options.exchange ?? 'events', events: ALL_EVENTS, history: { maxAge: '7D' } });
  try {
    log(`  connected  ${await whereConnected(bus)}`);
    log(`  history    every event of the exchange, kept 7 days`);
    log(`Publishing ${published.length} events (${published.filter((e) => OrderCreated.is(e)).length} orders)...`);
    for (const event of published) await bus.publish(event);
    throwIfAborted(options.signal);

    log('');
    log("1. Rebuild a read model: replay$('order.*', { from: 'first' }) → project into a Map");
    const orders = await lastValueFrom(
      bus.replay$('order.*', { from: 'first' }).pipe(
        filter((event) => thisRun(event)),
        reduce(project, new Map<string, OrderView>()),
        timeout(REPLAY_TIMEOUT_MS),
      ),
    );
    for (const view of orders.values()) {
      log(`   ${view.order_id}  ${view.status.padEnd(9)} ${view.total.toFixed(2).padStart(8)} ${view.currency}  (${view.events} events)`);
    }
    throwIfAborted(options.signal);

    const audited = [...orders.keys()][1] ?? '';
    log('');
    log(`2. Audit one order: replay$('order.*', { from: 'first' }) → filter(order_id === '${audited}')`);
    const audit = await lastValueFrom(
      bus.replay$('order.*', { from: 'first' }).pipe(
        filter((event) => thisRun(event)),
        filter((event) => event.data.order_id === audited),
        toArray(),
        timeout(REPLAY_TIMEOUT_MS),
      ),
    );
    for (const event of audit) log(`   ${event.timestamp.slice(11, 23)}  ${routingKeyOf(event).padEnd(16)} ${describe(event)}`);
    throwIfAborted(options.signal);

    log('');
    log("3. The last hour: replay$('*', { from: new Date(Date.now() - 3_600_000) }) → count per type");
    const lastHour = await lastValueFrom(
      bus.replay$('*', { from: new Date(Date.now() - 3_600_000) }).pipe(
        filter((event) => thisRun(event)),
        reduce(countByKey, {}),
        timeout(REPLAY_TIMEOUT_MS),
      ),
    );
    for (const [key, count] of Object.entries(lastHour).sort()) log(`   ${key.padEnd(16)} ${String(count).padStart(3)}`);
    throwIfAborted(options.signal);

    log('');
    log("4. History, then live: replay$('order.*', { from: 'first', follow: true })");
    const live = await historyThenLive(bus, published, thisRun, runId, log);
    log('Closed.');
    return { runId, published, orders, audit, lastHour, live };
  } finally {
    await bus.close({ timeoutMs: 5_000 });
  }
}

/**
 * A following replay reads the history, then goes on with live events on the
 * same stream consumer: an order published while it reads arrives once,
 * whether it was written before the replay reached the end or after.
 */
async function historyThenLive(
  bus: EventBus<ExampleEvent>,
  published: readonly ExampleEvent[],
  thisRun: (event: ExampleEvent) => boolean,
  runId: string,
  log: Log,
): Promise<ReadonlyMap<string, OrderView>> {
  const orderEvents = published.filter((event) => event.domain === 'order').length;
  const replay = bus.replay$('order.*', { from: 'first', follow: true }).pipe(filter((event) => thisRun(event)));
  // It never completes by itself: take what is expected, then it unsubscribes (and stops its consumer).
  const model = lastValueFrom(
    replay.pipe(take(orderEvents + 1), reduce(project, new Map<string, OrderView>()), timeout(REPLAY_TIMEOUT_MS)),
  );
  const items = [{ sku: 'SKU-CABLE', name: 'USB-C cable', quantity: 2, unit_price: 9.99 }];
  const late = OrderCreated.create(
    { order_id: 'B-LIVE', user_id: 'u-100', items, total: 19.98, currency: 'EUR' },
    { metadata: { run: runId } },
  );
  await bus.publish(late);
  const live = await model;
  log(
    `   published ${late.data.order_id} while it read: the model holds ${live.size} orders, ${late.data.order_id} ${live.get(late.data.order_id)?.status ?? 'missing'}`,
  );
  return live;
}

/** The read model's projection: one order event moves its order. Synchronous, as a replay's subscriber should be. */
function project(orders: Map<string, OrderView>, event: OrderEvent): Map<string, OrderView> {
  const before = orders.get(event.data.order_id);
  const view =
    event.action === 'created'
      ? { order_id: event.data.order_id, status: event.action, total: event.data.total, currency: event.data.currency, events: 1 }
      : before && { ...before, status: event.action, events: before.events + 1 };
  if (view) orders.set(view.order_id, view);
  return orders;
}

function countByKey(counts: Readonly<Record<string, number>>, event: ExampleEvent): Record<string, number> {
  const key = routingKeyOf(event);
  return { ...counts, [key]: (counts[key] ?? 0) + 1 };
}

function describe(event: OrderEvent): string {
  switch (event.action) {
    case 'created':
      return `${event.data.items.length} item(s), ${event.data.total.toFixed(2)} ${event.data.currency}`;
    case 'paid':
      return `${event.data.amount.toFixed(2)} ${event.data.currency} by ${event.data.payment_method}`;
    case 'shipped':
      return `${event.data.carrier} ${event.data.tracking_number}`;
    case 'cancelled':
      return event.data.reason;
    default:
      return '';
  }
}

async function whereConnected(bus: EventBus<ExampleEvent>): Promise<string> {
  const state = await firstValueFrom(bus.state$);
  const where = state.status === 'connected' ? state.url : state.status;
  return `${where}${where.startsWith('memory://') ? ' (in-process broker; set AMQP_URL for RabbitMQ)' : ''}`;
}

if (isEntryPoint(import.meta.url)) {
  runAsScript((signal) => main({ signal }));
}
