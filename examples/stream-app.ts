/**
 * A reactive app on `bus.on$`: while the example handlers do the work (emails,
 * inventory, analytics), three live views watch the same deliveries:
 *
 * - revenue per time window: `on$('order.paid')` → `bufferTime` → sum
 * - the order funnel:        `on$('order.*')` → `scan` → created/paid/shipped/cancelled
 * - events per type so far:  `on$('*')` → `scan`
 *
 * The bus is connected with the example catalog (`events: ALL_EVENTS`), so
 * each stream is typed by its pattern: `on$('order.paid')` emits
 * `Event<OrderPaid data, 'order', 'paid'>` and needs no `filter(OrderPaid.is)`;
 * `on$('order.*')` emits the union of the four order events, which a
 * `switch (event.action)` tells apart.
 *
 * It publishes a burst of orders spread over a few seconds, prints each
 * window as it closes, then closes the bus, which completes the streams.
 *
 *   npm run stream                                              # in-process broker
 *   AMQP_URL=amqp://guest:guest@localhost:5672 npm run stream   # RabbitMQ
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  bufferTime,
  firstValueFrom,
  lastValueFrom,
  map,
  type Observable,
  scan,
  shareReplay,
  startWith,
  toArray,
  withLatestFrom,
} from 'rxjs';
import { type BusStats, EventBus, routingKeyOf } from '../src/index.js';
import {
  ALL_EVENTS,
  type ExampleEvent,
  OrderCancelled,
  OrderCreated,
  type OrderEvent,
  type OrderItem,
  OrderPaid,
  OrderShipped,
  orderTotal,
  PAYMENT_METHODS,
  UserRegistered,
} from './events.js';
import { type Log, LogAnalytics, SendEmail, UpdateInventory } from './handlers.js';
import { isEntryPoint, runAsScript, settled } from './support.js';

export interface StreamAppOptions {
  /** @default process.env.AMQP_URL ?? 'memory://stream-demo' */
  readonly url?: string;
  /** @default 'events' */
  readonly exchange?: string;
  /** @default 'stream-app' */
  readonly queue?: string;
  /** Where the app prints. @default console.log */
  readonly log?: Log;
  /** Print a line per handler call too. @default false */
  readonly verbose?: boolean;
  /** Orders in the burst. @default 40 */
  readonly orders?: number;
  /** The burst is spread over about this long. @default 2500 */
  readonly durationMs?: number;
  /** Length of a revenue window. @default 500 */
  readonly windowMs?: number;
  /** Seed of the burst's pseudo-random orders: the same seed, the same orders. @default 42 */
  readonly seed?: number;
  /** Fail when the burst did not all settle within this time. @default 15000 */
  readonly settleTimeoutMs?: number;
  /** When stopped early, how long closing may wait for handlers still running; past it their deliveries are requeued. @default 5000 */
  readonly closeTimeoutMs?: number;
  /** Stop early (the bus is still closed). */
  readonly signal?: AbortSignal;
}

/** Payments that arrived in one window of `windowMs`. */
export interface RevenueWindow {
  /** 0, 1, 2, ...: the window covers [index × windowMs, (index + 1) × windowMs) after the app started watching. */
  readonly index: number;
  readonly payments: number;
  /** Sum of the payments, in cents (exact). */
  readonly revenueCents: number;
  /** Events of any type seen by the end of this window. */
  readonly eventsSoFar: number;
}

/** Orders per stage, from `on$('order.*')`. */
export type Funnel = Readonly<Record<OrderEvent['action'], number>>;

export interface StreamAppResult {
  readonly runId: string;
  readonly published: readonly ExampleEvent[];
  readonly windows: readonly RevenueWindow[];
  /** The last value of the funnel's `scan`. */
  readonly funnel: Funnel;
  /** The last value of the `scan`: events seen per routing key. */
  readonly counts: Readonly<Record<string, number>>;
  readonly stats: BusStats;
  readonly email: SendEmail;
  readonly inventory: UpdateInventory;
  readonly analytics: LogAnalytics;
}

const PRODUCTS = [
  { sku: 'SKU-KEYBOARD', name: 'Mechanical keyboard', unit_price: 89.9 },
  { sku: 'SKU-MOUSE', name: 'Wireless mouse', unit_price: 24.5 },
  { sku: 'SKU-MONITOR', name: '27" monitor', unit_price: 249 },
  { sku: 'SKU-CABLE', name: 'USB-C cable', unit_price: 9.99 },
] as const;
/** Enough stock that no order of the burst fails. */
const WAREHOUSE = Object.fromEntries(PRODUCTS.map((product) => [product.sku, 100_000]));
const NO_ORDERS: Funnel = { created: 0, paid: 0, shipped: 0, cancelled: 0 };

/**
 * A burst of `orders` orders from a handful of customers, each order its own
 * business transaction (correlationId) and every event tagged with
 * `metadata.run`: created, then paid and mostly shipped, or cancelled.
 */
export function burstEvents(runId: string, orders: number, seed = 42): ExampleEvent[] {
  const random = mulberry32(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const metadata = { run: runId, source: 'stream-app' };
  const events: ExampleEvent[] = [];
  const customers = new Set<string>();
  for (let n = 1; n <= orders; n++) {
    const user_id = `u-${100 + Math.floor(random() * 8)}`;
    if (!customers.has(user_id)) {
      customers.add(user_id);
      events.push(UserRegistered.create({ user_id, email: `${user_id}@example.com`, name: `Customer ${user_id}` }, { metadata }));
    }
    const order_id = `B-${String(n).padStart(4, '0')}`;
    const correlationId = randomUUID();
    const lines = [...PRODUCTS].sort(() => random() - 0.5).slice(0, 1 + Math.floor(random() * 3));
    const items: OrderItem[] = lines.map((product) => ({ ...product, quantity: 1 + Math.floor(random() * 2) }));
    const created = OrderCreated.create(
      { order_id, user_id, items, total: orderTotal(items), currency: 'EUR' },
      { correlationId, metadata },
    );
    events.push(created);
    if (random() < 0.8) {
      const paid = OrderPaid.create(
        {
          order_id,
          user_id,
          amount: created.data.total,
          currency: 'EUR',
          payment_method: pick(PAYMENT_METHODS),
          transaction_id: `txn-${n}`,
        },
        { correlationId, causationId: created.id, metadata },
      );
      events.push(paid);
      if (random() < 0.85) {
        events.push(
          OrderShipped.create(
            { order_id, user_id, carrier: pick(['DHL', 'UPS', 'DPD']), tracking_number: `TRK${seed}${n}` },
            { correlationId, causationId: paid.id, metadata },
          ),
        );
      }
    } else {
      events.push(
        OrderCancelled.create({ order_id, user_id, reason: 'payment not received' }, { correlationId, causationId: created.id, metadata }),
      );
    }
  }
  return events;
}

/** Runs the app and returns what the streams saw; closes the bus whatever happens. */
export async function main(options: StreamAppOptions = {}): Promise<StreamAppResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const url = options.url ?? process.env.AMQP_URL ?? 'memory://stream-demo';
  const queue = options.queue ?? 'stream-app';
  const windowMs = options.windowMs ?? 500;
  const durationMs = options.durationMs ?? 2_500;
  const runId = randomUUID();
  const events = burstEvents(runId, options.orders ?? 40, options.seed);

  log('rx-pubsub stream app');
  const bus = await EventBus.connect({ url, exchange: options.exchange ?? 'events', queue, events: ALL_EVENTS });
  try {
    // The handlers do the work and decide the acks...
    const handlerLog: Log = options.verbose ? (line) => log(`    ${line}`) : () => {};
    const email = new SendEmail(handlerLog);
    const inventory = new UpdateInventory(handlerLog, WAREHOUSE);
    const analytics = new LogAnalytics(handlerLog);
    bus.handle('order.*', email);
    bus.handle('user.*', email);
    bus.handle('order.{created,shipped,cancelled}', inventory);
    bus.handle('*', analytics);

    // ...while the streams only watch. Subscribing binds the queue, so do it before ready().
    const counts$ = bus.on$('*').pipe(
      scan((counts: Readonly<Record<string, number>>, event) => {
        const key = routingKeyOf(event);
        return { ...counts, [key]: (counts[key] ?? 0) + 1 };
      }, {}),
      startWith({}),
      // State, shared by the window report and the final table.
      shareReplay({ bufferSize: 1, refCount: false }),
    );
    // on$('order.paid') emits order.paid events only, typed: event.data.amount is a number.
    const windows$: Observable<RevenueWindow> = bus.on$('order.paid').pipe(
      bufferTime(windowMs),
      withLatestFrom(counts$),
      map(([paid, counts], index) => ({
        index,
        payments: paid.length,
        revenueCents: paid.reduce((sum, event) => sum + Math.round(event.data.amount * 100), 0),
        eventsSoFar: Object.values(counts).reduce((sum, n) => sum + n, 0),
      })),
    );
    const windows = lastValueFrom(
      windows$.pipe(
        map((window) => {
          log(describeWindow(window, windowMs));
          return window;
        }),
        toArray(),
      ),
    );
    const counts = lastValueFrom(counts$);
    // on$('order.*') emits the four order events; `action` narrows each one.
    const funnel = lastValueFrom(bus.on$('order.*').pipe(scan(countStage, NO_ORDERS), startWith(NO_ORDERS)));
    await bus.ready();

    const state = await firstValueFrom(bus.state$);
    const where = state.status === 'connected' ? state.url : state.status;
    log(`  connected  ${where}${where.startsWith('memory://') ? ' (in-process broker; set AMQP_URL for RabbitMQ)' : ''}`);
    log('  handlers   SendEmail on order.* and user.*, UpdateInventory on order.{created,shipped,cancelled}, LogAnalytics on *');
    log(`  streams    on$('order.paid') → bufferTime(${windowMs}) → sum;  on$('order.*') → scan → funnel;  on$('*') → scan → counts`);
    log('');
    const orders = events.filter((event) => OrderCreated.is(event)).length;
    log(
      `Publishing ${events.length} events (${orders} orders) over ${(durationMs / 1000).toFixed(1)} s; revenue per ${windowMs} ms window:`,
    );

    const done = settled(bus, {
      count: events.length,
      where: (s) => s.event?.metadata?.run === runId,
      timeoutMs: options.settleTimeoutMs ?? 15_000,
      signal: options.signal,
    });
    const spacing = durationMs / events.length;
    for (const event of events) {
      await bus.publish(event);
      await sleep(spacing, undefined, options.signal ? { signal: options.signal } : {});
    }
    const settlements = await done;

    log('');
    log('Closing: the streams complete and flush their last window...');
    await bus.close();
    const result = { windows: await windows, funnel: await funnel, counts: await counts };

    const revenueCents = result.windows.reduce((sum, w) => sum + w.revenueCents, 0);
    log('');
    log("Events per type (the scan's last value)");
    for (const [key, n] of Object.entries(result.counts).sort()) log(`  ${key.padEnd(16)} ${String(n).padStart(4)}`);
    log('');
    log("Order funnel (on$('order.*') → scan)");
    const { created, paid, shipped, cancelled } = result.funnel;
    log(`  ${created} created → ${paid} paid → ${shipped} shipped;  ${cancelled} cancelled, ${created - shipped - cancelled} still open`);
    log('');
    log('Summary');
    log(`  revenue          ${money(revenueCents)} in ${result.windows.reduce((n, w) => n + w.payments, 0)} payments`);
    log(`  settled          ${settlements.length} of ${events.length} published; bus.stats() ${JSON.stringify(bus.stats())}`);
    log(`  SendEmail        ${email.sent.length} emails sent`);
    log(`  UpdateInventory  shipped ${JSON.stringify(Object.fromEntries(inventory.shipped))}`);
    log(`  LogAnalytics     ${analytics.records.length} events recorded`);
    log('Closed.');
    return { runId, published: events, ...result, stats: bus.stats(), email, inventory, analytics };
  } finally {
    // Already closed on success; on failure or SIGINT/SIGTERM, a bounded close: unfinished deliveries go back to the queue.
    await bus.close({ timeoutMs: options.closeTimeoutMs ?? 5_000 });
  }
}

/**
 * One order event moves the funnel. `event.action` is the union of the
 * actions `order.*` matches in the catalog, so each case knows its event.
 */
function countStage(funnel: Funnel, event: OrderEvent): Funnel {
  switch (event.action) {
    case 'created':
      return { ...funnel, created: funnel.created + 1 };
    case 'paid':
      return { ...funnel, paid: funnel.paid + 1 };
    case 'shipped':
      return { ...funnel, shipped: funnel.shipped + 1 };
    case 'cancelled':
      return { ...funnel, cancelled: funnel.cancelled + 1 };
    default:
      return funnel;
  }
}

function describeWindow({ index, payments, revenueCents, eventsSoFar }: RevenueWindow, windowMs: number): string {
  const from = ((index * windowMs) / 1000).toFixed(1);
  const to = (((index + 1) * windowMs) / 1000).toFixed(1);
  const bar = '█'.repeat(Math.min(40, Math.round(revenueCents / 10_000)));
  return `  ${`${from}–${to} s`.padEnd(12)} ${String(payments).padStart(3)} payment${payments === 1 ? ' ' : 's'} ${money(revenueCents).padStart(13)}  ${String(eventsSoFar).padStart(4)} events so far  ${bar}`;
}

function money(cents: number): string {
  return `${(cents / 100).toFixed(2)} EUR`;
}

/** A small seeded PRNG, so a seed always gives the same burst. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

if (isEntryPoint(import.meta.url)) {
  runAsScript((signal) => main({ signal }));
}
