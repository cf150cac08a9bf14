/**
 * The end-to-end demo, as the Python system's main.py: connect, register the
 * example handlers by pattern, publish a customer's story as events, watch
 * every delivery settle, print the stats, close.
 *
 *   npm start                                              # in-process broker
 *   AMQP_URL=amqp://guest:guest@localhost:5672 npm start   # RabbitMQ
 *
 * `main(options)` is exported for the tests; the script entry at the bottom
 * runs it with the console and the process signals.
 */
import { randomUUID } from 'node:crypto';
import { type BusStats, compilePattern, type Event, EventBus, type Handler, routingKeyOf, type Settlement } from '../src/index.js';
import {
  OrderCancelled,
  OrderCreated,
  type OrderItem,
  OrderPaid,
  OrderShipped,
  orderTotal,
  UserRegistered,
  UserUpdated,
} from './events.js';
import { type Log, LogAnalytics, SendEmail, UpdateInventory } from './handlers.js';
import { isEntryPoint, runAsScript, settled } from './support.js';

export interface DemoOptions {
  /** @default process.env.AMQP_URL ?? 'memory://demo' */
  readonly url?: string;
  /** @default 'events' */
  readonly exchange?: string;
  /** @default 'example-service' */
  readonly queue?: string;
  /** Where the demo prints. @default console.log */
  readonly log?: Log;
  /**
   * Deliveries handled at once. The demo takes one at a time so that its
   * output reads as a story; a service keeps the bus default (16).
   * @default 1
   */
  readonly prefetch?: number;
  /** Fail when the events did not all settle within this time. @default 10000 */
  readonly settleTimeoutMs?: number;
  /** Stop early (the bus is still closed). */
  readonly signal?: AbortSignal;
}

export interface DemoResult {
  readonly correlationId: string;
  readonly published: readonly Event<unknown>[];
  /** The settlements of this run's events, in the order they settled. */
  readonly settlements: readonly Settlement[];
  readonly stats: BusStats;
  readonly email: SendEmail;
  readonly inventory: UpdateInventory;
  readonly analytics: LogAnalytics;
  /** Routing keys the `*.created` function handler saw. */
  readonly created: readonly string[];
}

/** A customer's story, every event tied by one correlationId and caused by the one before. */
export function demoEvents(correlationId: string): Event<unknown>[] {
  const user = { user_id: 'u-1001', email: 'alice@example.com', name: 'Alice' };
  const registered = UserRegistered.create(user, { correlationId });

  const items: OrderItem[] = [
    { sku: 'SKU-KEYBOARD', name: 'Mechanical keyboard', quantity: 1, unit_price: 89.9 },
    { sku: 'SKU-MOUSE', name: 'Wireless mouse', quantity: 2, unit_price: 24.5 },
  ];
  const order = { order_id: 'A-1001', user_id: user.user_id };
  const created = OrderCreated.create({ ...order, items, total: orderTotal(items), currency: 'EUR' }, { correlationId, causationId: registered.id });
  const paid = OrderPaid.create(
    { ...order, amount: created.data.total, currency: 'EUR', payment_method: 'card', transaction_id: 'txn-7f3a9c' },
    { correlationId, causationId: created.id },
  );
  const shipped = OrderShipped.create({ ...order, carrier: 'DHL', tracking_number: 'JD014600003828' }, { correlationId, causationId: paid.id });

  const monitor: OrderItem[] = [{ sku: 'SKU-MONITOR', name: '27" monitor', quantity: 1, unit_price: 249 }];
  const second = { order_id: 'A-1002', user_id: user.user_id };
  const created2 = OrderCreated.create({ ...second, items: monitor, total: orderTotal(monitor), currency: 'EUR' }, { correlationId, causationId: registered.id });
  const cancelled = OrderCancelled.create({ ...second, reason: 'customer changed their mind' }, { correlationId, causationId: created2.id });

  const updated = UserUpdated.create({ ...user, name: 'Alice Liddell', changed: ['name'] }, { correlationId, causationId: registered.id });
  return [registered, created, paid, shipped, created2, cancelled, updated];
}

/** Runs the demo and returns what happened; closes the bus whatever happens. */
export async function main(options: DemoOptions = {}): Promise<DemoResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const url = options.url ?? process.env.AMQP_URL ?? 'memory://demo';
  const exchange = options.exchange ?? 'events';
  const queue = options.queue ?? 'example-service';
  const prefetch = options.prefetch ?? 1;
  const settleTimeoutMs = options.settleTimeoutMs ?? 10_000;

  log('rx-pubsub demo');
  const bus = await EventBus.connect({ url, exchange, queue, prefetch });
  try {
    bus.state$.subscribe((state) => {
      if (state.status === 'connected') log(`  connected   ${state.url}${state.url.startsWith('memory://') ? ' (in-process broker; set AMQP_URL for RabbitMQ)' : ''}`);
      else if (state.status !== 'connecting') log(`  connection  ${state.status}${'reason' in state ? `: ${state.reason}` : ''}`);
    });
    log(`  exchange    ${exchange} (topic)`);
    log(`  queue       ${queue} (dead letters go to ${queue}.dlq)`);
    log(`  prefetch    ${prefetch}${prefetch === 1 ? ' (one delivery at a time, so the output reads in order)' : ''}`);

    const email = new SendEmail(indent(log));
    const inventory = new UpdateInventory(indent(log));
    const analytics = new LogAnalytics(indent(log));
    const created: string[] = [];
    const audit = (event: Event): void => {
      created.push(routingKeyOf(event));
      indent(log)(`[audit]           ${routingKeyOf(event)}: a new ${event.domain} exists`);
    };

    const registrations: readonly [pattern: string, handler: Handler, name: string][] = [
      ['order.*', email, 'SendEmail (async)'],
      ['user.*', email, 'SendEmail (async)'],
      ['order.{created,shipped,cancelled}', inventory, 'UpdateInventory (sync)'],
      ['*', analytics, 'LogAnalytics (Observable)'],
      ['*.created', audit, 'audit (a function)'],
    ];
    log('');
    log('Handlers                                  AMQP bindings');
    for (const [pattern, handler, name] of registrations) {
      bus.handle(pattern, handler);
      const bindings = compilePattern(pattern).bindingKeys.join(', ');
      log(`  ${pattern.padEnd(34)} → ${name.padEnd(26)} ${bindings}`);
    }
    await bus.ready();
    log('Ready: bindings and consumer are live.');

    const correlationId = randomUUID();
    const events = demoEvents(correlationId);
    const mine = (s: Settlement): boolean => s.event?.correlationId === correlationId;
    const done = settled(bus, { count: events.length, where: mine, timeoutMs: settleTimeoutMs, signal: options.signal });
    bus.settlements$.subscribe((s) => {
      if (mine(s)) log(`  ${describeSettlement(s)}`);
    });

    log('');
    log(`Publishing ${events.length} events (correlationId ${correlationId})`);
    for (const event of events) {
      await bus.publish(event);
      log(`  → ${routingKeyOf(event).padEnd(16)} ${describeEvent(event)}`);
    }
    log('');
    log('Handling (every matching handler runs; all succeed → ack)');
    const settlements = await done;

    const stats = bus.stats();
    const outcomes = countOutcomes(settlements);
    log('');
    log('Summary');
    log(`  ${events.length} published, ${settlements.length} settled: ${outcomes.ack} acked, ${outcomes.unhandled} unhandled, ${outcomes['dead-letter']} dead-lettered`);
    log(`  bus.stats()      ${JSON.stringify(stats)}`);
    const earlier = stats.acked + stats.unhandled + stats.retried + stats.deadLettered - settlements.length;
    if (earlier > 0) log(`                   (counts ${earlier} more deliveries: left in ${queue} by an earlier run, handled too)`);
    log(`  SendEmail        ${email.sent.length} emails sent`);
    log(`  UpdateInventory  ${inventory.reserved().size} orders holding stock; available ${JSON.stringify(inventory.available())}`);
    log(`  LogAnalytics     ${analytics.records.length} events recorded ${JSON.stringify(analytics.countsByType())}`);
    log(`  audit            ${created.length} created events`);
    return { correlationId, published: events, settlements, stats, email, inventory, analytics, created };
  } finally {
    log('');
    log('Closing: draining in-flight handlers and confirms...');
    await bus.close();
    log('Closed.');
  }
}

function indent(log: Log): Log {
  return (line) => log(`    ${line}`);
}

function describeEvent(event: Event<unknown>): string {
  if (OrderCreated.is(event)) {
    const { order_id, user_id, items, total, currency } = event.data;
    const units = items.reduce((n, item) => n + item.quantity, 0);
    return `${order_id} by ${user_id}: ${units} item${units === 1 ? '' : 's'}, ${total.toFixed(2)} ${currency}`;
  }
  if (OrderPaid.is(event)) return `${event.data.order_id}: ${event.data.amount.toFixed(2)} ${event.data.currency} by ${event.data.payment_method}`;
  if (OrderShipped.is(event)) return `${event.data.order_id} with ${event.data.carrier}, tracking ${event.data.tracking_number}`;
  if (OrderCancelled.is(event)) return `${event.data.order_id}: ${event.data.reason}`;
  if (UserRegistered.is(event)) return `${event.data.user_id}: ${event.data.name} <${event.data.email}>`;
  if (UserUpdated.is(event)) return `${event.data.user_id}: changed ${event.data.changed.join(', ')}`;
  return event.id;
}

function describeSettlement({ delivery, outcome }: Settlement): string {
  switch (outcome.kind) {
    case 'ack':
      return `✓ ${delivery.routingKey} acked (${outcome.handlers} handler${outcome.handlers === 1 ? '' : 's'} succeeded)`;
    case 'unhandled':
      return `· ${delivery.routingKey} acked, no handler matched`;
    case 'retry':
      return `↻ ${delivery.routingKey} attempt ${outcome.attempt} failed, retrying in ${outcome.delayMs} ms: ${outcome.reason}`;
    case 'dead-letter':
      return `✗ ${delivery.routingKey} dead-lettered: ${outcome.reason}`;
  }
}

function countOutcomes(settlements: readonly Settlement[]): Record<Settlement['outcome']['kind'], number> {
  const counts = { ack: 0, unhandled: 0, retry: 0, 'dead-letter': 0 };
  for (const { outcome } of settlements) counts[outcome.kind]++;
  return counts;
}

if (isEntryPoint(import.meta.url)) {
  runAsScript((signal) => main({ signal }));
}
