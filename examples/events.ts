/**
 * The example events: the Python system's events.py (`OrderCreatedEvent`,
 * `OrderPaidEvent`, ..., `UserRegisteredEvent`) as an event catalog. Each type
 * is defined once, with `defineEvent(domain, action, { schema })`; the schema
 * (zod 4, or any Standard Schema validator) types `data` and, on a bus
 * connected with `events: ALL_EVENTS`, checks it on publish and on delivery.
 *
 * A definition creates events (`OrderCreated.create(data, fields?)`),
 * recognises them (`OrderCreated.is(event)`, which narrows `event.data`) and
 * names their routing key (`OrderCreated.routingKey === 'order.created'`).
 *
 * `order.created` is at version 2: version 1 had no `currency` (every order
 * was in euros). The legacy checkout still publishes version 1
 * ({@link OrderCreatedV1}); a consumer on version 2 upcasts those messages
 * before its handlers see them.
 */
import { z } from 'zod';
import { type CatalogEvent, defineEvent, type EventOf, type EventsMatching } from '../src/index.js';

const id = z.string().min(1);
/** Amounts are in the currency's major unit (29.99). */
const amount = z.number().nonnegative();
const currency = z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as EUR');

export const PAYMENT_METHODS = ['card', 'paypal', 'bank_transfer'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

const orderItem = z.object({ sku: id, name: z.string(), quantity: z.int().positive(), unit_price: amount });
/** One line of an order. */
export type OrderItem = z.infer<typeof orderItem>;

const orderCreatedV1 = z.object({ order_id: id, user_id: id, items: z.array(orderItem).min(1), total: amount });
/** The data of `order.created` version 1: no currency, every order was in euros. */
export type OrderCreatedV1Data = z.infer<typeof orderCreatedV1>;

/** `order.created` as the legacy checkout still publishes it: version 1. Not in {@link ALL_EVENTS}. */
export const OrderCreatedV1 = defineEvent('order', 'created', { schema: orderCreatedV1 });

/** `order.created` version 2: `currency` added; version 1 messages are read as EUR. */
export const OrderCreated = defineEvent('order', 'created', {
  version: 2,
  schema: orderCreatedV1.extend({ currency }),
  upcast: { 1: (v1: OrderCreatedV1Data) => ({ ...v1, currency: 'EUR' }) },
});

export const OrderPaid = defineEvent('order', 'paid', {
  schema: z.object({ order_id: id, user_id: id, amount, currency, payment_method: z.enum(PAYMENT_METHODS), transaction_id: id }),
});

export const OrderShipped = defineEvent('order', 'shipped', {
  schema: z.object({ order_id: id, user_id: id, carrier: z.string(), tracking_number: id }),
});

export const OrderCancelled = defineEvent('order', 'cancelled', {
  schema: z.object({ order_id: id, user_id: id, reason: z.string() }),
});

const user = z.object({ user_id: id, email: z.email(), name: z.string().min(1) });

export const UserRegistered = defineEvent('user', 'registered', { schema: user });

/** `changed` lists the fields that changed, e.g. `['name']`. */
export const UserUpdated = defineEvent('user', 'updated', {
  schema: user.extend({ changed: z.array(z.string()).min(1) }),
});

/** The catalog of the example services: `EventBus.connect({ ..., events: ALL_EVENTS })`. */
export const ALL_EVENTS = [OrderCreated, OrderPaid, OrderShipped, OrderCancelled, UserRegistered, UserUpdated] as const;

/** Any event of the catalog: what `bus.on$('*')` emits on a bus connected with `events: ALL_EVENTS`. */
export type ExampleEvent = CatalogEvent<typeof ALL_EVENTS>;
/** The events `order.*` matches: created, paid, shipped, cancelled. */
export type OrderEvent = EventsMatching<ExampleEvent, 'order.*'>;
export type OrderCreatedEvent = EventOf<typeof OrderCreated>;
export type OrderPaidEvent = EventOf<typeof OrderPaid>;
/** A version 1 `order.created`, as the legacy checkout publishes it. */
export type OrderCreatedV1Event = EventOf<typeof OrderCreatedV1>;

/** The total of an order's items, rounded to cents. */
export function orderTotal(items: readonly OrderItem[]): number {
  return roundCents(items.reduce((sum, item) => sum + item.quantity * item.unit_price, 0));
}

export function roundCents(amount: number): number {
  return Math.round(amount * 100) / 100;
}
