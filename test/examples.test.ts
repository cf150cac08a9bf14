/**
 * The examples as a user runs them: `main(options)` of each example against a
 * memory broker of its own (and once against RabbitMQ), and `npm start`'s
 * script as a child process.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { EventBus, routingKeyOf, type Settlement } from '../src/index.js';
import { OrderCreated, OrderPaid, UserRegistered, orderTotal } from '../examples/events.js';
import { LogAnalytics, SendEmail, UpdateInventory } from '../examples/handlers.js';
import { demoEvents, main as runDemo } from '../examples/main.js';
import { burstEvents, main as runStreamApp } from '../examples/stream-app.js';
import { Aborted, settled } from '../examples/support.js';
import { amqpUrl, deleteExchange, deleteQueues, teardown, uniqueName } from './support/broker.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

/** A memory broker no other test shares. */
function memoryUrl(prefix: string): string {
  return `memory://${uniqueName(prefix)}`;
}

/** A log collector: `log` to pass, `lines` to assert on. */
function collector(): { log: (line: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { log: (line) => lines.push(line), lines };
}

function handlersPerKey(settlements: readonly Settlement[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const { delivery, outcome } of settlements) {
    (out[delivery.routingKey] ??= []).push(outcome.kind === 'ack' ? outcome.handlers : -1);
  }
  for (const counts of Object.values(out)) counts.sort();
  return out;
}

it('examples - the event definitions create typed events and refuse non-JSON data', () => {
  const items = [{ sku: 'SKU-MOUSE', name: 'Mouse', quantity: 2, unit_price: 24.5 }];
  const event = OrderCreated.create({ order_id: 'A1', user_id: 'u1', items, total: orderTotal(items), currency: 'EUR' });
  expect(OrderCreated.routingKey).toBe('order.created');
  expect(routingKeyOf(event)).toBe('order.created');
  expect(event.data.total).toBe(49);
  expect(OrderCreated.is(event)).toBe(true);
  expect(OrderPaid.is(event)).toBe(false);
  expect(Object.isFrozen(event.data.items)).toBe(true);

  const bad = { user_id: 'u1', email: 'a@example.com', name: 'A', at: new Date() };
  expect(() => UserRegistered.create(bad)).toThrow(/data\.at .*Date/);
});

it('examples - main routes every demo event to the handlers its patterns select, and acks them all', async () => {
  const { log, lines } = collector();
  const result = await runDemo({ url: memoryUrl('demo'), log });

  expect(result.stats).toEqual({ published: 7, acked: 7, unhandled: 0, retried: 0, deadLettered: 0 });
  expect(result.settlements.every((s) => s.event?.correlationId === result.correlationId)).toBe(true);
  // order.* / user.* → SendEmail; order.{created,shipped,cancelled} → UpdateInventory; * → LogAnalytics; *.created → audit
  expect(handlersPerKey(result.settlements)).toEqual({
    'user.registered': [2],
    'order.created': [4, 4],
    'order.paid': [2],
    'order.shipped': [3],
    'order.cancelled': [3],
    'user.updated': [2],
  });

  const publishedIds = result.published.map((e) => e.id).sort();
  expect(result.email.sent.map((e) => e.eventId).sort()).toEqual(publishedIds);
  expect(result.analytics.records.map((r) => r.eventId).sort()).toEqual(publishedIds);
  expect(result.created).toEqual(['order.created', 'order.created']);
  expect(result.email.sent.find((e) => e.routingKey === 'user.registered')).toMatchObject({ to: 'alice@example.com', subject: 'Welcome, Alice!' });

  // A-1001 shipped (its stock left), A-1002 cancelled (its stock came back).
  expect(result.inventory.reserved().size).toBe(0);
  expect(result.inventory.available()).toMatchObject({ 'SKU-KEYBOARD': 49, 'SKU-MOUSE': 118, 'SKU-MONITOR': 20 });
  expect(Object.fromEntries(result.inventory.shipped)).toEqual({ 'SKU-KEYBOARD': 1, 'SKU-MOUSE': 2 });

  // The output: a line per published event, per handler call, per settlement, and a summary.
  for (const event of result.published) expect(lines).toContainEqual(expect.stringContaining(`→ ${routingKeyOf(event)}`));
  expect(lines.filter((l) => /^\s+\[(SendEmail|UpdateInventory|LogAnalytics|audit)\]/.test(l))).toHaveLength(20);
  expect(lines.filter((l) => l.includes('✓'))).toHaveLength(7);
  expect(lines).toContain('  7 published, 7 settled: 7 acked, 0 unhandled, 0 dead-lettered');
  expect(lines.at(-1)).toBe('Closed.');
});

it('examples - main closes the bus and rejects with Aborted when its signal aborts', async () => {
  const controller = new AbortController();
  const { lines } = collector();
  const log = (line: string): void => {
    lines.push(line);
    if (line.startsWith('Publishing')) controller.abort('SIGINT');
  };
  await expect(runDemo({ url: memoryUrl('demo-abort'), log, signal: controller.signal })).rejects.toBeInstanceOf(Aborted);
  expect(lines.at(-1)).toBe('Closed.');
});

it('examples - main fails with a bounded wait when the events do not all settle', async () => {
  const url = memoryUrl('demo-slow');
  const bus = await EventBus.connect({ url, queue: 'example-service' });
  teardown(() => bus.close());
  // A second consumer on the same queue takes half the work: the demo never sees all of its events settle.
  bus.handle('*', () => undefined);
  await bus.ready();
  await expect(runDemo({ url, log: () => {}, settleTimeoutMs: 500 })).rejects.toThrow(/of 7 events settled within 500 ms/);
});

it('examples - an order UpdateInventory cannot fill is dead-lettered, and the other handlers still run', async () => {
  const bus = await EventBus.connect({ url: memoryUrl('inventory'), queue: 'inventory-service' });
  teardown(() => bus.close());
  const lines: string[] = [];
  const email = new SendEmail((line) => lines.push(line), { latencyMs: 1 });
  bus.handle('order.*', email);
  bus.handle('order.created', new UpdateInventory((line) => lines.push(line), { 'SKU-MONITOR': 1 }));
  bus.handle('*', new LogAnalytics());
  await bus.ready();

  const items = [{ sku: 'SKU-MONITOR', name: 'Monitor', quantity: 3, unit_price: 249 }];
  const order = OrderCreated.create({ order_id: 'A-9', user_id: 'u-9', items, total: orderTotal(items), currency: 'EUR' });
  const done = settled(bus, { count: 1, where: () => true, timeoutMs: 5_000 });
  await bus.publish(order);
  const [settlement] = await done;

  expect(settlement?.outcome).toMatchObject({
    kind: 'dead-letter',
    reason: 'order.created: not enough SKU-MONITOR for A-9: 3 wanted, 1 available',
    failures: [{ pattern: 'order.created' }],
  });
  expect(email.sent).toHaveLength(1);
  expect(bus.stats()).toEqual({ published: 1, acked: 0, unhandled: 0, retried: 0, deadLettered: 1 });
});

it('examples - the stream app windows add up to the payments published, and the scan counts every event', async () => {
  const { log, lines } = collector();
  const result = await runStreamApp({ url: memoryUrl('stream'), log, orders: 15, durationMs: 400, windowMs: 100 });

  const paid = result.published.filter((e) => OrderPaid.is(e));
  const paidCents = paid.reduce((sum, e) => sum + (OrderPaid.is(e) ? Math.round(e.data.amount * 100) : 0), 0);
  expect(result.windows.reduce((sum, w) => sum + w.revenueCents, 0)).toBe(paidCents);
  expect(result.windows.reduce((sum, w) => sum + w.payments, 0)).toBe(paid.length);
  expect(result.windows.length).toBeGreaterThanOrEqual(3);
  expect(result.windows.map((w) => w.index)).toEqual(result.windows.map((_, i) => i));
  const seen = result.windows.map((w) => w.eventsSoFar);
  expect(seen).toEqual([...seen].sort((a, b) => a - b));
  expect(seen.at(-1)).toBe(result.published.length);

  const expected: Record<string, number> = {};
  for (const e of result.published) expected[routingKeyOf(e)] = (expected[routingKeyOf(e)] ?? 0) + 1;
  expect(result.counts).toEqual(expected);
  expect(result.stats).toEqual({ published: result.published.length, acked: result.published.length, unhandled: 0, retried: 0, deadLettered: 0 });
  expect(result.email.sent).toHaveLength(result.published.length);
  expect(result.analytics.records).toHaveLength(result.published.length);

  expect(lines.filter((l) => / payments? /.test(l) && / s /.test(l))).toHaveLength(result.windows.length);
  expect(lines.at(-1)).toBe('Closed.');
});

it('examples - the stream app burst is the same for the same seed', () => {
  const shape = (seed: number) => burstEvents('run', 20, seed).map((e) => [routingKeyOf(e), e.data]);
  expect(shape(7)).toEqual(shape(7));
  expect(shape(7)).not.toEqual(shape(8));
  const burst = burstEvents('run', 20);
  expect(burst.filter((e) => OrderCreated.is(e))).toHaveLength(20);
  expect(burst.every((e) => e.metadata?.run === 'run')).toBe(true);
});

it('examples - main runs the same on RabbitMQ', async () => {
  const exchange = uniqueName('demo-ex');
  const queue = uniqueName('demo-q');
  teardown(async () => {
    await deleteQueues(queue, `${queue}.dlq`);
    await deleteExchange(exchange);
  });
  const { log, lines } = collector();
  const result = await runDemo({ url: amqpUrl(), exchange, queue, log });
  expect(result.stats).toEqual({ published: 7, acked: 7, unhandled: 0, retried: 0, deadLettered: 0 });
  expect(lines).toContainEqual(expect.stringMatching(/^ {2}connected {3}amqps?:\/\//));
  expect(lines.join('\n')).not.toMatch(/:guest@/);
});

it('examples - demoEvents tie the story together with one correlationId and causation links', () => {
  const events = demoEvents('corr-1');
  expect(events.map(routingKeyOf)).toEqual([
    'user.registered', 'order.created', 'order.paid', 'order.shipped', 'order.created', 'order.cancelled', 'user.updated',
  ]);
  expect(events.every((e) => e.correlationId === 'corr-1')).toBe(true);
  const ids = new Set(events.map((e) => e.id));
  expect(events.slice(1).every((e) => e.causationId !== undefined && ids.has(e.causationId))).toBe(true);
});

it('examples - npm start runs the demo on the memory broker and exits 0', async () => {
  const env = { ...process.env };
  delete env.AMQP_URL;
  // Rejects (with the output) on a non-zero exit code or after 60 s.
  const { stdout } = await run('npx', ['tsx', 'examples/main.ts'], { cwd: REPO_ROOT, env, timeout: 60_000 });
  expect(stdout).toContain('connected   memory://demo');
  expect(stdout).toContain('→ user.registered  u-1001: Alice <alice@example.com>');
  expect(stdout).toContain('[SendEmail]       order.created: "Order A-1001 confirmed (138.90 EUR)" to u-1001');
  expect(stdout).toContain('✓ order.created acked (4 handlers succeeded)');
  expect(stdout).toContain('7 published, 7 settled: 7 acked, 0 unhandled, 0 dead-lettered');
  expect(stdout).toContain('bus.stats()      {"published":7,"acked":7,"unhandled":0,"retried":0,"deadLettered":0}');
  expect(stdout.trimEnd().endsWith('Closed.')).toBe(true);
}, 60_000);
