/**
 * The example handlers: the Python system's handlers.py (`SendEmailHandler`,
 * `UpdateInventoryHandler`, `LogAnalyticsHandler`) as object handlers, one
 * per kind of result a handler may return:
 *
 * | handler           | takes                          | returns           | fails (→ dead letter) when           |
 * |-------------------|--------------------------------|-------------------|--------------------------------------|
 * | `SendEmail`       | any event of the catalog       | a Promise (async) | never, in this example               |
 * | `UpdateInventory` | order.{created,shipped,cancelled} | nothing (sync) | an order asks for more than in stock |
 * | `LogAnalytics`    | any event at all               | an Observable     | never, in this example               |
 *
 * Their parameter types come from the catalog (`ExampleEvent`, or what a
 * pattern matches: `EventsMatching<ExampleEvent, 'order.{created,shipped,cancelled}'>`),
 * so `bus.handle(pattern, handler)` checks that the handler takes what the
 * pattern delivers.
 *
 * Each writes one line per call through the injected `log`, and keeps what it
 * did in public fields, so tests and demos can look.
 */
import { map, type Observable, tap, timer } from 'rxjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Event, type EventsMatching, type HandlerObject, routingKeyOf } from '../src/index.js';
import {
  type ExampleEvent,
  OrderCancelled,
  OrderCreated,
  type OrderItem,
  OrderPaid,
  OrderShipped,
  UserRegistered,
  UserUpdated,
} from './events.js';

/** Where a handler writes its lines. */
export type Log = (line: string) => void;

const quiet: Log = () => {};

/** An email the `SendEmail` handler "sent". */
export interface Email {
  readonly to: string;
  readonly subject: string;
  /** The event it was sent for. */
  readonly eventId: string;
  readonly routingKey: string;
}

export interface SendEmailOptions {
  /** Simulated SMTP round trip. @default 20 */
  readonly latencyMs?: number;
}

/**
 * Sends the customer an email for each order and user event: an async
 * handler, acked once its Promise resolves.
 */
export class SendEmail implements HandlerObject<ExampleEvent> {
  readonly sent: Email[] = [];
  private readonly latencyMs: number;

  constructor(
    private readonly log: Log = quiet,
    options: SendEmailOptions = {},
  ) {
    this.latencyMs = options.latencyMs ?? 20;
  }

  async handle(event: ExampleEvent): Promise<void> {
    const key = routingKeyOf(event);
    const email = emailFor(event);
    if (email === undefined) {
      this.log(`[SendEmail]       ${key}: no email for this event`);
      return;
    }
    await sleep(this.latencyMs); // the SMTP server
    this.sent.push({ ...email, eventId: event.id, routingKey: key });
    this.log(`[SendEmail]       ${key}: "${email.subject}" to ${email.to}`);
  }
}

function emailFor(event: ExampleEvent): { to: string; subject: string } | undefined {
  if (OrderCreated.is(event)) {
    const { order_id, user_id, total, currency } = event.data;
    return { to: user_id, subject: `Order ${order_id} confirmed (${money(total, currency)})` };
  }
  if (OrderPaid.is(event)) {
    const { order_id, user_id, amount, currency } = event.data;
    return { to: user_id, subject: `Receipt for order ${order_id}: ${money(amount, currency)} paid` };
  }
  if (OrderShipped.is(event)) {
    const { order_id, user_id, carrier, tracking_number } = event.data;
    return { to: user_id, subject: `Order ${order_id} shipped with ${carrier}, tracking ${tracking_number}` };
  }
  if (OrderCancelled.is(event)) {
    const { order_id, user_id } = event.data;
    return { to: user_id, subject: `Order ${order_id} cancelled` };
  }
  if (UserRegistered.is(event)) {
    return { to: event.data.email, subject: `Welcome, ${event.data.name}!` };
  }
  if (UserUpdated.is(event)) {
    return { to: event.data.email, subject: `Your profile was updated (${event.data.changed.join(', ')})` };
  }
  return undefined; // a catalog event SendEmail has no mail for
}

/** Stock on hand per SKU when an `UpdateInventory` starts. */
export const DEFAULT_STOCK: Readonly<Record<string, number>> = {
  'SKU-KEYBOARD': 50,
  'SKU-MOUSE': 120,
  'SKU-MONITOR': 20,
  'SKU-CABLE': 500,
};

/** The events `UpdateInventory` is registered for. */
export type InventoryEvent = EventsMatching<ExampleEvent, 'order.{created,shipped,cancelled}'>;

/**
 * Keeps stock: reserves it when an order is created, puts it back when the
 * order is cancelled, lets it leave the warehouse when the order ships. A
 * synchronous handler: returning normally acks, throwing dead-letters.
 * Reservations are idempotent per order, so a redelivered `order.created`
 * (delivery is at-least-once) does not reserve twice.
 */
export class UpdateInventory implements HandlerObject<InventoryEvent> {
  private readonly stock: Map<string, number>;
  private readonly reservations = new Map<string, readonly OrderItem[]>();
  /** Units shipped per SKU. */
  readonly shipped = new Map<string, number>();

  constructor(
    private readonly log: Log = quiet,
    initialStock: Readonly<Record<string, number>> = DEFAULT_STOCK,
  ) {
    this.stock = new Map(Object.entries(initialStock));
  }

  handle(event: InventoryEvent): void {
    const key = routingKeyOf(event);
    // `action` tells the three apart, and narrows `data` with it.
    switch (event.action) {
      case 'created':
        return this.reserve(key, event.data.order_id, event.data.items);
      case 'cancelled':
        return this.release(key, event.data.order_id);
      case 'shipped':
        return this.ship(key, event.data.order_id);
      default:
        this.log(`[UpdateInventory] ${key}: nothing to do`);
    }
  }

  /** Units available (not reserved) per SKU. */
  available(): Record<string, number> {
    return Object.fromEntries(this.stock);
  }

  /** Orders holding stock, by order id. */
  reserved(): ReadonlyMap<string, readonly OrderItem[]> {
    return this.reservations;
  }

  private reserve(key: string, orderId: string, items: readonly OrderItem[]): void {
    if (this.reservations.has(orderId)) {
      this.log(`[UpdateInventory] ${key}: ${orderId} already reserved (a redelivery), nothing to do`);
      return;
    }
    // All or nothing: check every line before taking any stock.
    for (const item of items) {
      const available = this.stock.get(item.sku) ?? 0;
      if (available < item.quantity) {
        throw new Error(`not enough ${item.sku} for ${orderId}: ${item.quantity} wanted, ${available} available`);
      }
    }
    for (const item of items) this.stock.set(item.sku, (this.stock.get(item.sku) ?? 0) - item.quantity);
    this.reservations.set(orderId, items);
    this.log(`[UpdateInventory] ${key}: reserved ${describeItems(items)} for ${orderId}`);
  }

  private release(key: string, orderId: string): void {
    const items = this.reservations.get(orderId);
    if (items === undefined) {
      this.log(`[UpdateInventory] ${key}: ${orderId} holds no stock, nothing to release`);
      return;
    }
    for (const item of items) this.stock.set(item.sku, (this.stock.get(item.sku) ?? 0) + item.quantity);
    this.reservations.delete(orderId);
    this.log(`[UpdateInventory] ${key}: released ${describeItems(items)} from ${orderId}`);
  }

  private ship(key: string, orderId: string): void {
    const items = this.reservations.get(orderId);
    if (items === undefined) {
      this.log(`[UpdateInventory] ${key}: ${orderId} holds no stock, nothing to ship`);
      return;
    }
    for (const item of items) this.shipped.set(item.sku, (this.shipped.get(item.sku) ?? 0) + item.quantity);
    this.reservations.delete(orderId);
    this.log(`[UpdateInventory] ${key}: ${describeItems(items)} left the warehouse for ${orderId}`);
  }
}

function describeItems(items: readonly OrderItem[]): string {
  return items.map((item) => `${item.quantity} × ${item.sku}`).join(', ');
}

/** One line of the analytics log. */
export interface AnalyticsRecord {
  readonly eventId: string;
  readonly routingKey: string;
  readonly correlationId: string | undefined;
  /** Milliseconds from the event's timestamp to its recording. */
  readonly lagMs: number;
}

export interface LogAnalyticsOptions {
  /** Simulated write to the analytics store. @default 5 */
  readonly latencyMs?: number;
}

/**
 * Records every event for analytics: a handler returning an Observable,
 * which succeeds when it completes (its values are ignored). It reads only
 * the fields every event has, so it takes any event, of a catalog or not.
 */
export class LogAnalytics implements HandlerObject<Event<unknown>> {
  readonly records: AnalyticsRecord[] = [];
  private readonly latencyMs: number;

  constructor(
    private readonly log: Log = quiet,
    options: LogAnalyticsOptions = {},
  ) {
    this.latencyMs = options.latencyMs ?? 5;
  }

  handle(event: Event<unknown>): Observable<AnalyticsRecord> {
    return timer(this.latencyMs).pipe(
      map(() => ({
        eventId: event.id,
        routingKey: routingKeyOf(event),
        correlationId: event.correlationId,
        lagMs: Math.max(0, Date.now() - Date.parse(event.timestamp)),
      })),
      tap((record) => {
        this.records.push(record);
        this.log(`[LogAnalytics]    ${record.routingKey}: recorded (${record.lagMs} ms after it happened)`);
      }),
    );
  }

  /** Records per routing key. */
  countsByType(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { routingKey } of this.records) counts[routingKey] = (counts[routingKey] ?? 0) + 1;
    return counts;
  }
}

function money(amount: number, currency: string): string {
  return `${amount.toFixed(2)} ${currency}`;
}
