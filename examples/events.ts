/**
 * The example events: the Python system's events.py (`OrderCreatedEvent`,
 * `OrderPaidEvent`, ..., `UserRegisteredEvent`), each defined once with
 * `defineEvent(domain, action).withData<T>()`.
 *
 * A definition creates events (`OrderCreated.create(data, fields?)`),
 * recognises them (`OrderCreated.is(event)`, which narrows `event.data`) and
 * names their routing key (`OrderCreated.routingKey === 'order.created'`).
 *
 * The data types are type aliases, not interfaces: an alias of plain JSON
 * fields is assignable to `Json`, which keeps the type guards usable with
 * rxjs's `filter(OrderPaid.is)`.
 */
import { defineEvent } from '../src/index.js';

/** One line of an order. Amounts are in the currency's major unit (29.99). */
export type OrderItem = {
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  readonly unit_price: number;
};

export type PaymentMethod = 'card' | 'paypal' | 'bank_transfer';

export type OrderCreatedData = {
  readonly order_id: string;
  readonly user_id: string;
  readonly items: readonly OrderItem[];
  readonly total: number;
  readonly currency: string;
};

export type OrderPaidData = {
  readonly order_id: string;
  readonly user_id: string;
  readonly amount: number;
  readonly currency: string;
  readonly payment_method: PaymentMethod;
  readonly transaction_id: string;
};

export type OrderShippedData = {
  readonly order_id: string;
  readonly user_id: string;
  readonly carrier: string;
  readonly tracking_number: string;
};

export type OrderCancelledData = {
  readonly order_id: string;
  readonly user_id: string;
  readonly reason: string;
};

export type UserRegisteredData = {
  readonly user_id: string;
  readonly email: string;
  readonly name: string;
};

export type UserUpdatedData = {
  readonly user_id: string;
  readonly email: string;
  readonly name: string;
  /** Which fields changed, e.g. `['name']`. */
  readonly changed: readonly string[];
};

export const OrderCreated = defineEvent('order', 'created').withData<OrderCreatedData>();
export const OrderPaid = defineEvent('order', 'paid').withData<OrderPaidData>();
export const OrderShipped = defineEvent('order', 'shipped').withData<OrderShippedData>();
export const OrderCancelled = defineEvent('order', 'cancelled').withData<OrderCancelledData>();
export const UserRegistered = defineEvent('user', 'registered').withData<UserRegisteredData>();
export const UserUpdated = defineEvent('user', 'updated').withData<UserUpdatedData>();

/** Every example event type, e.g. for listing them. */
export const ALL_EVENTS = [OrderCreated, OrderPaid, OrderShipped, OrderCancelled, UserRegistered, UserUpdated] as const;

/** The total of an order's items, rounded to cents. */
export function orderTotal(items: readonly OrderItem[]): number {
  return roundCents(items.reduce((sum, item) => sum + item.quantity * item.unit_price, 0));
}

export function roundCents(amount: number): number {
  return Math.round(amount * 100) / 100;
}
