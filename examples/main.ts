/**
 * The end-to-end demo, as the Python system's main.py: connect with the event
 * catalog, register the example handlers by pattern, publish a customer's
 * story as events, watch every delivery settle, print the stats, close.
 *
 *   npm start                                              # in-process broker
 *   AMQP_URL=amqp://guest:guest@localhost:5672 npm start   # RabbitMQ
 *
 * The story includes one `order.created` at version 1, published by a
 * "legacy checkout" bus whose catalog still has version 1: the service,
 * on version 2, upcasts it before its handlers run. And one publish with
 * data its schema refuses, which never leaves the process.
 *
 * `main(options)` is exported for the tests; the script entry at the bottom
 * runs it with the console and the process signals (SIGINT/SIGTERM close the
 * buses, with a deadline).
 */
import { randomUUID } from 'node:crypto';
import { type BusStats, type Event, EventBus, EventValidationError, routingKeyOf, type Settlement } from '../src/index.js';
import { compilePattern } from '../src/blocks.js';
import {
  ALL_EVENTS,
  type ExampleEvent,
  OrderCancelled,
  OrderCreated,
  OrderCreatedV1,
  type OrderCreatedV1Event,
  type OrderItem,
  OrderPaid,
  OrderShipped,
  orderTotal,
  UserRegistered,
  UserUpdated,
} from './events.js';
import { type Log, LogAnalytics, SendEmail, UpdateInventory } from './handlers.js';
import { isEntryPoint, runAsScript, settled, throwIfAborted } from './support.js';

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
  /** How long closing may wait for handlers still running; past it their deliveries are requeued. @default 5000 */
  readonly closeTimeoutMs?: number;
  /** Stop early (the buses are still closed). */
  readonly signal?: AbortSignal;
}

/**
 * One event of the story and who publishes it: the service (an event of its
 * catalog) or the legacy checkout (a version 1 `order.created`).
 */
export type StoryStep =
  { readonly publisher: 'service'; readonly event: ExampleEvent } | { readonly publisher: 'legacy'; readonly event: OrderCreatedV1Event };

export interface DemoResult {
  readonly correlationId: string;
  /** Every event published, the legacy one included. */
  readonly published: readonly (ExampleEvent | OrderCreatedV1Event)[];
  /** The settlements of this run's events, in the order they settled. */
  readonly settlements: readonly Settlement[];
  /** The service bus's counters (the legacy publish is not among its `published`). */
  readonly stats: BusStats;
  /** The publish the catalog refused, with the schema's issues. */
  readonly refused: EventValidationError | undefined;
  readonly email: SendEmail;
  readonly inventory: UpdateInventory;
  readonly analytics: LogAnalytics;
  /** Order ids the `*.created` function handler saw. */
  readonly created: readonly string[];
}

/**
 * A customer's story, every event tied by one correlationId and caused by the
 * one before. The second order comes from the legacy checkout: version 1.
 */
export function demoStory(correlationId: string): StoryStep[] {
  const user = { user_id: 'u-1001', email: 'alice@example.com', name: 'Alice' };
  const registered = UserRegistered.create(user, { correlationId });

  const items: OrderItem[] = [
    { sku: 'SKU-KEYBOARD', name: 'Mechanical keyboard', quantity: 1, unit_price: 89.9 },
    { sku: 'SKU-MOUSE', name: 'Wireless mouse', quantity: 2, unit_price: 24.5 },
  ];
  const order = { order_id: 'A-1001', user_id: user.user_id };
  const created = OrderCreated.create(
    { ...order, items, total: orderTotal(items), currency: 'EUR' },
    { correlationId, causationId: registered.id },
  );
  const paid = OrderPaid.create(
    { ...order, amount: created.data.total, currency: 'EUR', payment_method: 'card', transaction_id: 'txn-7f3a9c' },
    { correlationId, causationId: created.id },
  );
  const shipped = OrderShipped.create(
    { ...order, carrier: 'DHL', tracking_number: 'JD014600003828' },
    { correlationId, causationId: paid.id },
  );

  const monitor: OrderItem[] = [{ sku: 'SKU-MONITOR', name: '27" monitor', quantity: 1, unit_price: 249 }];
  const second = { order_id: 'A-1002', user_id: user.user_id };
  // Version 1 has no currency: the consumer's upcaster adds EUR.
  const created2 = OrderCreatedV1.create(
    { ...second, items: monitor, total: orderTotal(monitor) },
    { correlationId, causationId: registered.id },
  );
  const cancelled = OrderCancelled.create(
    { ...second, reason: 'customer changed their mind' },
    { correlationId, causationId: created2.id },
  );

  const updated = UserUpdated.create({ ...user, name: 'Alice Liddell', changed: ['name'] }, { correlationId, causationId: registered.id });
  const service = (event: ExampleEvent): StoryStep => ({ publisher: 'service', event });
  return [
    service(registered),
    service(created),
    service(paid),
    service(shipped),
    { publisher: 'legacy', event: created2 },
    service(cancelled),
    service(updated),
  ];
}

/** Runs the demo and returns what happened; closes the buses whatever happens. */
export async function main(options: DemoOptions = {}): Promise<DemoResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const url = options.url ?? process.env.AMQP_URL ?? 'memory://demo';
  const exchange = options.exchange ?? 'events';
  const queue = options.queue ?? 'example-service';
  const prefetch = options.prefetch ?? 1;
  const settleTimeoutMs = options.settleTimeoutMs ?? 10_000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 5_000;

  log('rx-pubsub demo');
  // The catalog types handle, on$ and publish, and guards the wire with the schemas and versions.
  const bus = await EventBus.connect({ url, exchange, queue, prefetch, events: ALL_EVENTS });
  // An older service, publish-only, whose catalog still has order.created version 1.
  const legacy = await EventBus.connect({ url, exchange, events: [OrderCreatedV1], connectionName: 'legacy-checkout' }).catch(
    async (error: unknown) => {
      await bus.close();
      throw error;
    },
  );
  try {
    bus.state$.subscribe((state) => {
      if (state.status === 'connected')
        log(`  connected   ${state.url}${state.url.startsWith('memory://') ? ' (in-process broker; set AMQP_URL for RabbitMQ)' : ''}`);
      else if (state.status !== 'connecting') log(`  connection  ${state.status}${'reason' in state ? `: ${state.reason}` : ''}`);
    });
    log(`  exchange    ${exchange} (topic)`);
    log(`  queue       ${queue} (dead letters go to ${queue}.dlq)`);
    log(`  prefetch    ${prefetch}${prefetch === 1 ? ' (one delivery at a time, so the output reads in order)' : ''}`);
    log(`  catalog     ${ALL_EVENTS.map((d) => `${d.routingKey}${d.version > 1 ? ` v${d.version}` : ''}`).join(', ')}`);

    const email = new SendEmail(indent(log));
    const inventory = new UpdateInventory(indent(log));
    const analytics = new LogAnalytics(indent(log));
    const created: string[] = [];

    // Each handler's parameter is typed by what its pattern matches in the catalog.
    bus.handle('order.*', email);
    bus.handle('user.*', email);
    bus.handle('order.{created,shipped,cancelled}', inventory);
    bus.handle('*', analytics);
    bus.handle('*.created', (event) => {
      // Only order.created matches *.created in this catalog: event.data is an order.
      created.push(event.data.order_id);
      indent(log)(`[audit]           ${routingKeyOf(event)}: order ${event.data.order_id} exists now (${event.data.currency})`);
    });
    log('');
    log('Handlers                                  AMQP bindings');
    for (const [pattern, name] of [
      ['order.*', 'SendEmail (async)'],
      ['user.*', 'SendEmail (async)'],
      ['order.{created,shipped,cancelled}', 'UpdateInventory (sync)'],
      ['*', 'LogAnalytics (Observable)'],
      ['*.created', 'audit (a function)'],
    ] as const) {
      log(`  ${pattern.padEnd(34)} → ${name.padEnd(26)} ${compilePattern(pattern).bindingKeys.join(', ')}`);
    }
    await bus.ready();
    log('Ready: bindings and consumer are live.');

    const correlationId = randomUUID();
    const story = demoStory(correlationId);
    const events = story.map((step) => step.event);
    const mine = (s: Settlement): boolean => s.event?.correlationId === correlationId;
    const done = settled(bus, { count: events.length, where: mine, timeoutMs: settleTimeoutMs, signal: options.signal });
    bus.settlements$.subscribe((s) => {
      if (mine(s)) log(`  ${describeSettlement(s)}`);
    });

    log('');
    log(`Publishing ${events.length} events (correlationId ${correlationId})`);
    for (const step of story) {
      throwIfAborted(options.signal);
      if (step.publisher === 'legacy') await legacy.publish(step.event);
      else await bus.publish(step.event);
      log(`  → ${routingKeyOf(step.event).padEnd(16)} ${describeStep(step)}`);
    }
    const refused = await publishInvalid(bus, correlationId, log);
    log('');
    log('Handling (every matching handler runs; all succeed → ack)');
    const settlements = await done;

    const stats = bus.stats();
    const outcomes = countOutcomes(settlements);
    const legacyCount = story.filter((step) => step.publisher === 'legacy').length;
    log('');
    log('Summary');
    log(
      `  ${events.length} published, ${settlements.length} settled: ${outcomes.ack} acked, ${outcomes.unhandled} unhandled, ${outcomes['dead-letter']} dead-lettered`,
    );
    log(`  bus.stats()      ${JSON.stringify(stats)}${legacyCount > 0 ? ` (+${legacyCount} published by the legacy checkout)` : ''}`);
    const earlier = stats.acked + stats.unhandled + stats.retried + stats.deadLettered - settlements.length;
    if (earlier > 0) log(`                   (counts ${earlier} more deliveries: left in ${queue} by an earlier run, handled too)`);
    log(`  SendEmail        ${email.sent.length} emails sent`);
    log(`  UpdateInventory  ${inventory.reserved().size} orders holding stock; available ${JSON.stringify(inventory.available())}`);
    log(`  LogAnalytics     ${analytics.records.length} events recorded ${JSON.stringify(analytics.countsByType())}`);
    log(`  audit            ${created.length} orders created${created.length <= 4 ? ` (${created.join(', ')})` : ''}`);
    return { correlationId, published: events, settlements, stats, refused, email, inventory, analytics, created };
  } finally {
    log('');
    log(`Closing: draining in-flight handlers and confirms (at most ${closeTimeoutMs / 1000} s)...`);
    await Promise.all([bus.close({ timeoutMs: closeTimeoutMs }), legacy.close({ timeoutMs: closeTimeoutMs })]);
    log('Closed.');
  }
}

/**
 * Publishes an `order.paid` whose amount the schema refuses: the types allow
 * any number, the schema only amounts ≥ 0. The publish rejects with the
 * issues and nothing is sent.
 */
async function publishInvalid(bus: EventBus<ExampleEvent>, correlationId: string, log: Log): Promise<EventValidationError | undefined> {
  const refund = OrderPaid.create(
    { order_id: 'A-1002', user_id: 'u-1001', amount: -249, currency: 'EUR', payment_method: 'card', transaction_id: 'txn-refund' },
    { correlationId },
  );
  try {
    await bus.publish(refund);
  } catch (error) {
    if (!(error instanceof EventValidationError)) throw error;
    log(`  ✗ ${routingKeyOf(refund).padEnd(16)} refused before it left (EventValidationError): ${error.message}`);
    return error;
  }
  throw new Error('the catalog let an order.paid with a negative amount through');
}

function indent(log: Log): Log {
  return (line) => log(`    ${line}`);
}

function describeStep(step: StoryStep): string {
  if (step.publisher === 'legacy') {
    const { order_id, user_id, items, total } = step.event.data;
    return `${order_id} by ${user_id}: ${describeUnits(items)}, ${total.toFixed(2)} (version 1, by the legacy checkout: no currency)`;
  }
  return describeEvent(step.event);
}

function describeEvent(event: Event<unknown>): string {
  if (OrderCreated.is(event)) {
    const { order_id, user_id, items, total, currency } = event.data;
    return `${order_id} by ${user_id}: ${describeUnits(items)}, ${total.toFixed(2)} ${currency}`;
  }
  if (OrderPaid.is(event))
    return `${event.data.order_id}: ${event.data.amount.toFixed(2)} ${event.data.currency} by ${event.data.payment_method}`;
  if (OrderShipped.is(event)) return `${event.data.order_id} with ${event.data.carrier}, tracking ${event.data.tracking_number}`;
  if (OrderCancelled.is(event)) return `${event.data.order_id}: ${event.data.reason}`;
  if (UserRegistered.is(event)) return `${event.data.user_id}: ${event.data.name} <${event.data.email}>`;
  if (UserUpdated.is(event)) return `${event.data.user_id}: changed ${event.data.changed.join(', ')}`;
  return event.id;
}

function describeUnits(items: readonly OrderItem[]): string {
  const units = items.reduce((n, item) => n + item.quantity, 0);
  return `${units} item${units === 1 ? '' : 's'}`;
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
