/**
 * The examples as a user runs them: `main(options)` of each example against a
 * memory broker of its own (and once against RabbitMQ), and `npm start`'s
 * script as a child process.
 */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { EventBus, EventValidationError, routingKeyOf, type Settlement } from '../../src/index.js';
import { ALL_EVENTS, OrderCreated, OrderCreatedV1, OrderPaid, UserRegistered, orderTotal } from '../../examples/events.js';
import { LogAnalytics, SendEmail, UpdateInventory } from '../../examples/handlers.js';
import { demoStory, main as runDemo } from '../../examples/main.js';
import { burstEvents, main as runStreamApp } from '../../examples/stream-app.js';
import { probe, start as startHealthServer } from '../../examples/health-server.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { main as runHistoryDemo } from '../../examples/history.js';
import { Aborted, settled } from '../../examples/support.js';
import { amqpUrl, deleteExchange, deleteQueues, teardown, uniqueName, waitFor } from '../support/broker.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
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
  expect(event.version).toBe(2);
  expect(event.data.total).toBe(49);
  expect(OrderCreated.is(event)).toBe(true);
  expect(OrderPaid.is(event)).toBe(false);
  expect(Object.isFrozen(event.data.items)).toBe(true);
  expect(OrderCreatedV1.create({ order_id: 'A1', user_id: 'u1', items, total: 49 }).version).toBe(1);

  const bad = { user_id: 'u1', email: 'a@example.com', name: 'A', at: new Date() };
  expect(() => UserRegistered.create(bad)).toThrow(/data\.at .*Date/);
});

it('examples - a catalog bus refuses data its schema refuses, naming the issues, and sends nothing', async () => {
  const bus = await EventBus.connect({ url: memoryUrl('catalog'), queue: 'catalog-service', events: ALL_EVENTS });
  teardown(() => bus.close());
  const items = [{ sku: 'SKU-MOUSE', name: 'Mouse', quantity: 0, unit_price: 24.5 }];
  const order = OrderCreated.create({ order_id: 'A1', user_id: 'u1', items, total: 0, currency: 'euro' });
  const refused = await bus.publish(order).then(() => undefined, (error: unknown) => error);
  expect(refused).toBeInstanceOf(EventValidationError);
  expect((refused as EventValidationError).issues.map((issue) => issue.path)).toEqual([['items', 0, 'quantity'], ['currency']]);
  expect((refused as Error).message).toMatch(/^order\.created version 2: data does not match the schema: data\.items\[0\]\.quantity: .*; data\.currency: expected an ISO 4217 code such as EUR$/);
  expect(bus.stats().published).toBe(0);
});

it('examples - a version 1 order.created from a legacy publisher is upcast to version 2 before the handlers run', async () => {
  const url = memoryUrl('upcast');
  const bus = await EventBus.connect({ url, queue: 'upcast-service', events: ALL_EVENTS });
  teardown(() => bus.close());
  const legacy = await EventBus.connect({ url, events: [OrderCreatedV1] });
  teardown(() => legacy.close());
  const seen: unknown[] = [];
  bus.handle('order.created', (event) => {
    seen.push({ version: event.version, currency: event.data.currency });
  });
  await bus.ready();

  const items = [{ sku: 'SKU-CABLE', name: 'Cable', quantity: 1, unit_price: 9.99 }];
  const done = settled(bus, { count: 1, where: () => true, timeoutMs: 5_000 });
  await legacy.publish(OrderCreatedV1.create({ order_id: 'L-1', user_id: 'u1', items, total: 9.99 }));
  const [settlement] = await done;

  expect(seen).toEqual([{ version: 2, currency: 'EUR' }]);
  expect(settlement?.outcome).toEqual({ kind: 'ack', handlers: 1 });
});

it('examples - main routes every demo event to the handlers its patterns select, and acks them all', async () => {
  const { log, lines } = collector();
  const result = await runDemo({ url: memoryUrl('demo'), log });

  // One of the 7 comes from the legacy checkout's bus, not this one.
  expect(result.stats).toEqual({ published: 6, acked: 7, unhandled: 0, retried: 0, deadLettered: 0, dropped: 0, pipelineRestarts: 0 });
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
  expect(result.created).toEqual(['A-1001', 'A-1002']);
  expect(result.email.sent.find((e) => e.routingKey === 'user.registered')).toMatchObject({ to: 'alice@example.com', subject: 'Welcome, Alice!' });
  // A-1002 was published at version 1, without a currency: the handlers saw it upcast.
  expect(result.email.sent.map((e) => e.subject)).toContain('Order A-1002 confirmed (249.00 EUR)');
  const legacy = result.settlements.find((s) => s.event?.id === result.published[4]?.id);
  expect(legacy?.event).toMatchObject({ version: 2, data: { order_id: 'A-1002', currency: 'EUR' } });

  // The refund with a negative amount never left: refused with the schema's issue.
  expect(result.refused).toBeInstanceOf(EventValidationError);
  expect(result.refused?.issues.map((issue) => issue.path)).toEqual([['amount']]);
  expect(lines).toContainEqual(expect.stringMatching(/✗ order\.paid +refused before it left \(EventValidationError\): order\.paid version 1: .*data\.amount/));

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
  const bus = await EventBus.connect({ url: memoryUrl('inventory'), queue: 'inventory-service', events: ALL_EVENTS });
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
  expect(bus.stats()).toEqual({ published: 1, acked: 0, unhandled: 0, retried: 0, deadLettered: 1, dropped: 0, pipelineRestarts: 0 });
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
  const orders = (action: string) => result.published.filter((e) => e.domain === 'order' && e.action === action).length;
  expect(result.funnel).toEqual({ created: orders('created'), paid: orders('paid'), shipped: orders('shipped'), cancelled: orders('cancelled') });
  expect(lines).toContain(`  ${orders('created')} created → ${orders('paid')} paid → ${orders('shipped')} shipped;  ${orders('cancelled')} cancelled, ${orders('created') - orders('shipped') - orders('cancelled')} still open`);
  expect(result.stats).toEqual({ published: result.published.length, acked: result.published.length, unhandled: 0, retried: 0, deadLettered: 0, dropped: 0, pipelineRestarts: 0 });
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

it('examples - the history demo rebuilds the read model, audits one order, counts the last hour, and follows live', async () => {
  const { log, lines } = collector();
  const result = await runHistoryDemo({ url: memoryUrl('history'), log });

  const orderEvents = result.published.filter((e) => e.domain === 'order');
  const ids = [...new Set(orderEvents.map((e) => (e.data as { order_id: string }).order_id))];
  expect([...result.orders.keys()]).toEqual(ids);
  for (const [id, view] of result.orders) {
    const ofOrder = orderEvents.filter((e) => (e.data as { order_id: string }).order_id === id);
    expect(view).toMatchObject({ order_id: id, status: ofOrder.at(-1)?.action, events: ofOrder.length });
  }
  const audited = ids[1];
  expect(result.audit.map((e) => e.id)).toEqual(orderEvents.filter((e) => (e.data as { order_id: string }).order_id === audited).map((e) => e.id));
  const expected: Record<string, number> = {};
  for (const e of result.published) expected[routingKeyOf(e)] = (expected[routingKeyOf(e)] ?? 0) + 1;
  expect(result.lastHour).toEqual(expected);
  // History then live, on one reader: every order once, the one published while it read included.
  expect(result.live.size).toBe(ids.length + 1);
  expect(result.live.get('B-LIVE')).toMatchObject({ status: 'created', events: 1 });
  expect(lines).toContain(`   published B-LIVE while it read: the model holds ${ids.length + 1} orders, B-LIVE created`);
  expect(lines.at(-1)).toBe('Closed.');
});

it('examples - the history demo runs the same on RabbitMQ', async () => {
  const exchange = uniqueName('history-ex');
  teardown(async () => {
    await deleteQueues(`${exchange}.history`);
    await deleteExchange(exchange);
  });
  const result = await runHistoryDemo({ url: amqpUrl(), exchange, log: () => {} });
  expect(result.orders.size).toBe(8);
  expect(result.live.size).toBe(9);
  expect(Object.values(result.lastHour).reduce((sum, n) => sum + n, 0)).toBe(result.published.length);
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
  expect(result.stats).toEqual({ published: 6, acked: 7, unhandled: 0, retried: 0, deadLettered: 0, dropped: 0, pipelineRestarts: 0 });
  expect(lines).toContainEqual(expect.stringMatching(/^ {2}connected {3}amqps?:\/\//));
  expect(lines.join('\n')).not.toMatch(/:guest@/);
});

it('examples - demoStory ties the story together with one correlationId and causation links', () => {
  const story = demoStory('corr-1');
  const events = story.map((step) => step.event);
  expect(events.map(routingKeyOf)).toEqual([
    'user.registered', 'order.created', 'order.paid', 'order.shipped', 'order.created', 'order.cancelled', 'user.updated',
  ]);
  // The second order is the legacy checkout's, at version 1.
  expect(story.map((step) => `${step.publisher} v${step.event.version}`)).toEqual([
    'service v1', 'service v2', 'service v1', 'service v1', 'legacy v1', 'service v1', 'service v1',
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
  expect(stdout).toContain('→ order.created    A-1002 by u-1001: 1 item, 249.00 (version 1, by the legacy checkout: no currency)');
  expect(stdout).toContain('[SendEmail]       order.created: "Order A-1002 confirmed (249.00 EUR)" to u-1001');
  expect(stdout).toContain('[SendEmail]       order.created: "Order A-1001 confirmed (138.90 EUR)" to u-1001');
  expect(stdout).toContain('✓ order.created acked (4 handlers succeeded)');
  expect(stdout).toContain('7 published, 7 settled: 7 acked, 0 unhandled, 0 dead-lettered');
  expect(stdout).toContain('bus.stats()      {"published":6,"acked":7,"unhandled":0,"retried":0,"deadLettered":0,"dropped":0,"pipelineRestarts":0} (+1 published by the legacy checkout)');
  expect(stdout.trimEnd().endsWith('Closed.')).toBe(true);
}, 60_000);

it('examples - npm run stream closes the bus on SIGTERM and exits 143', async () => {
  const env = { ...process.env };
  delete env.AMQP_URL;
  // Its own process group, signalled as a whole, as a terminal or a container runtime does.
  const child = spawn(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['examples/stream-app.ts'], { cwd: REPO_ROOT, env, detached: true });
  teardown(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid as number), 'SIGKILL');
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Publishing')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => reject(new Error(`the stream app exited before publishing:\n${output}`)));
  });
  process.kill(-(child.pid as number), 'SIGTERM');
  const code = await exited;
  expect(output).toContain('SIGTERM received: closing the bus');
  expect(output).not.toContain('Failed:');
  expect(code).toBe(143);
}, 60_000);

it('examples - the health server: readiness follows bus.health() (503 once down), liveness stays 200 through broker trouble', async () => {
  const url = memoryUrl('health');
  const { log, lines } = collector();
  const server = await startHealthServer({ url, port: 0, queue: 'health-service', healthGracePeriodMs: 300, log });
  teardown(() => server.close());
  const get = async (path: string): Promise<[number, { status?: string }]> => {
    const response = await fetch(`${server.address}${path}`);
    return [response.status, (await response.json()) as { status?: string }];
  };
  expect(await get('/readyz')).toEqual([200, expect.objectContaining({ status: 'up' })]);
  expect((await get('/healthz'))[0]).toBe(200);
  expect((await get('/metrics'))[0]).toBe(404);

  // The queue re-declared under the bus: down after the grace period; not ready, still alive.
  const broker = MemoryBroker.named(new URL(url).host);
  broker.deleteQueue('health-service');
  broker.declareQueue('health-service', { durable: true, exclusive: false, autoDelete: false, arguments: { 'x-max-length': 1 } });
  await waitFor(async () => (await get('/readyz'))[0] === 503, { description: '/readyz to say 503' });
  expect(await get('/readyz')).toEqual([503, expect.objectContaining({ status: 'down' })]);
  expect((await get('/healthz'))[0]).toBe(200);
  broker.deleteQueue('health-service');
  await waitFor(async () => (await get('/readyz'))[0] === 200, { timeoutMs: 10_000, description: '/readyz to say 200 again' });

  // A bus closed while nobody shuts the service down: a restart fixes that.
  await server.bus.close();
  expect((await get('/healthz'))[0]).toBe(503);
  expect(lines).toContainEqual(expect.stringMatching(/^health: down \(TOPOLOGY_FAILED: /));
  expect(probe('/readyz', undefined, false)).toEqual({ code: 503, body: { status: 'starting' } });
  expect(probe('/healthz', undefined, false).code).toBe(200);
  expect(probe('/readyz', server.bus.health(), true).code).toBe(503);
  expect(probe('/healthz', server.bus.health(), true).code).toBe(200);
});

it('examples - npx tsx examples/health-server.ts serves /readyz on memory:// and closes the bus on SIGTERM (exit 143)', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0' };
  delete env.AMQP_URL;
  const child = spawn(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['examples/health-server.ts'], { cwd: REPO_ROOT, env, detached: true });
  teardown(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid as number), 'SIGKILL');
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const address = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const listening = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (listening?.[1] !== undefined && output.includes('health: up')) resolve(listening[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => reject(new Error(`the health server exited before it was up:\n${output}`)));
  });
  const ready = await fetch(`${address}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toMatchObject({ status: 'up', connection: { status: 'connected', url: 'memory://health-demo' } });
  process.kill(-(child.pid as number), 'SIGTERM');
  expect(await exited).toBe(143);
  expect(output).toContain('health: down (the bus is closed)');
}, 60_000);
