/**
 * The example apps tested with the public test kit, imported as a user does
 * (`rx-pubsub/testing` is `src/testing/index.js`):
 *
 * - the examples' handlers, routed by the demo's patterns, in marble time
 *   (`routeMarbles`): the demo story in, settlements and each handler's calls out;
 * - `SendEmail` (it awaits a real timer, so it cannot run in marble time) and
 *   the whole demo on `testBus`/`memoryUrl`, inspected through `memoryBroker`;
 * - the stream app on a `memoryUrl()` in real time: its windows use
 *   `bufferTime(windowMs)` and its publishes `sleep`, neither of which takes a
 *   scheduler, so `testBus({ scheduler })` and `advanceVirtualTime` cannot drive it;
 * - the demo's `main()` once on RabbitMQ, with the settlement counts it has on memory.
 */
import { configure } from 'rxjs-marbles';
import { describe, expect, it } from 'vitest';
import { DeadLetterHeader, routingKeyOf, type Settlement } from '../../src/index.js';
import { memoryBroker, memoryUrl, routeMarbles, type HandlerEntry, testBus } from '../../src/testing/index.js';
import { ALL_EVENTS, type ExampleEvent, type OrderCreatedEvent, OrderCreatedV1, type OrderCreatedV1Event } from '../../examples/events.js';
import { DEFAULT_STOCK, LogAnalytics, SendEmail, UpdateInventory } from '../../examples/handlers.js';
import { demoStory, main as runDemo } from '../../examples/main.js';
import { main as runStreamApp } from '../../examples/stream-app.js';
import { settled } from '../../examples/support.js';
import { amqpUrl, deleteExchange, deleteQueues, rawChannel, teardown, uniqueName } from '../support/broker.js';

// rxjs-marbles has no vitest entry: its root `configure` with vitest's expect.
const { marbles } = configure({ assertDeepEqual: (actual: unknown, expected: unknown) => expect(actual).toStrictEqual(expected), frameworkMatcher: true });

type StoryLetter = 'u' | 'c' | 'p' | 's' | 'l' | 'k' | 'n';

/**
 * The story of examples/main.ts by marble letter, and `L`: the legacy
 * checkout's version 1 `order.created` (`l`) as the handlers see it, upcast by
 * the catalog to version 2 in EUR.
 *
 * `l` is typed as an `ExampleEvent` although it is not one: `routeMarbles`
 * types what arrives (`events$`) and what the handlers take with one type, while
 * a catalog that upcasts hands the handlers something else than what arrived.
 */
function storyValues(correlationId: string): Record<StoryLetter | 'L', ExampleEvent> {
  const [u, c, p, s, l, k, n] = demoStory(correlationId).map((step) => step.event as ExampleEvent);
  const legacy = l as unknown as OrderCreatedV1Event;
  const L: OrderCreatedEvent = { ...legacy, version: 2, data: { ...legacy.data, currency: 'EUR' } };
  return defined({ u, c, p, s, l, k, n, L });
}

/** The values of a marble diagram, every one of them there. */
function defined<K extends string, V>(values: Record<K, V | undefined>): Record<K, V> {
  for (const [key, value] of Object.entries(values)) if (value === undefined) throw new Error(`no marble value for ${key}`);
  return values as Record<K, V>;
}

interface DemoHandlers {
  /** What `order.*` and `user.*` call (`SendEmail` in the demo). */
  readonly email: HandlerEntry<ExampleEvent>[1];
  readonly inventory: UpdateInventory;
  readonly analytics: LogAnalytics;
  /** What `*.created` calls (the demo's inline audit function). */
  readonly audit: HandlerEntry<ExampleEvent>[1];
}

/**
 * The routing table of examples/main.ts, in its order. main.ts registers it
 * inline (five `bus.handle` calls) and exports neither the table nor its
 * `*.created` audit function, so it is reproduced here: keep the two in step.
 */
function demoRoutes({ email, inventory, analytics, audit }: DemoHandlers) {
  return [
    ['order.*', email],
    ['user.*', email],
    ['order.{created,shipped,cancelled}', inventory],
    ['*', analytics],
    ['*.created', audit],
  ] as const satisfies readonly HandlerEntry<ExampleEvent>[];
}

/** The demo's audit handler: records the order ids `*.created` delivers. */
function auditInto(created: string[]): HandlerEntry<ExampleEvent>[1] {
  return (event: ExampleEvent) => {
    if (event.domain === 'order' && event.action === 'created') created.push(event.data.order_id);
  };
}

describe('examples in marble time', () => {
  // SendEmail awaits a real timer (its simulated SMTP round trip): in marble time a
  // synchronous stand-in takes its two patterns; SendEmail itself runs on testBus below.
  // LogAnalytics takes no scheduler, but its `timer(5)` runs on the default async
  // scheduler, which the marble test's run mode moves in virtual time: 5 frames.

  it(
    'examples - the demo story is routed by main.ts patterns and every delivery acks once LogAnalytics completes',
    marbles((m) => {
      const { L, ...values } = storyValues('corr-marbles');
      const inventory = new UpdateInventory();
      const analytics = new LogAnalytics();
      const created: string[] = [];
      const events$ = m.cold('                u-----c-----p-----s-----l-----k-----n-----|', values);
      const { settlements$, calls } = routeMarbles({
        scheduler: m.scheduler,
        handlers: demoRoutes({ email: () => undefined, inventory, analytics, audit: auditInto(created) }),
        events$,
        events: ALL_EVENTS,
        prefetch: 1, // as main.ts
      });
      const called = { ...values, L };
      m.expect(settlements$).toBeObservable(' -----a-----a-----a-----a-----a-----a-----a|');
      m.expect(calls[0]).toBeObservable('     ------c-----p-----s-----L-----k-----------|', called); // order.*
      m.expect(calls[1]).toBeObservable('     u-----------------------------------n-----|', called); // user.*
      m.expect(calls[2]).toBeObservable('     ------c-----------s-----L-----k-----------|', called); // order.{created,shipped,cancelled}
      m.expect(calls[3]).toBeObservable('     u-----c-----p-----s-----L-----k-----n-----|', called); // *
      m.expect(calls[4]).toBeObservable('     ------c-----------------L-----------------|', called); // *.created
      m.expect(events$).toHaveSubscriptions(' ^-----------------------------------------!');
      m.flush();

      expect(created).toEqual(['A-1001', 'A-1002']);
      expect(analytics.countsByType()).toEqual({
        'user.registered': 1, 'order.created': 2, 'order.paid': 1, 'order.shipped': 1, 'order.cancelled': 1, 'user.updated': 1,
      });
      // A-1001 shipped, A-1002 cancelled: nothing held, the shipped stock gone.
      expect(inventory.reserved().size).toBe(0);
      expect(Object.fromEntries(inventory.shipped)).toEqual({ 'SKU-KEYBOARD': 1, 'SKU-MOUSE': 2 });
      expect(inventory.available()).toEqual({ ...DEFAULT_STOCK, 'SKU-KEYBOARD': 49, 'SKU-MOUSE': 118 });
    }),
  );

  it(
    'examples - an order UpdateInventory cannot fill is dead-lettered; the other handlers still run and the cancel after it acks',
    marbles((m) => {
      const { L, ...values } = storyValues('corr-no-monitors');
      const { c, s, k } = values;
      const inventory = new UpdateInventory(undefined, { ...DEFAULT_STOCK, 'SKU-MONITOR': 0 });
      const analytics = new LogAnalytics();
      const created: string[] = [];
      const events$ = m.cold('                u-----c-----p-----s-----l-----k-----n-----|', values);
      const { settlements$, outcomes$, calls } = routeMarbles({
        scheduler: m.scheduler,
        handlers: demoRoutes({ email: () => undefined, inventory, analytics, audit: auditInto(created) }),
        events$,
        events: ALL_EVENTS,
        prefetch: 1,
      });
      m.expect(settlements$).toBeObservable(' -----a-----a-----a-----a-----d-----a-----a|');
      m.expect(calls[2]).toBeObservable('     ------c-----------s-----L-----k-----------|', { c, s, L, k });
      m.expect(calls[4]).toBeObservable('     ------c-----------------L-----------------|', { c, L });
      const deadLetters: unknown[] = [];
      outcomes$.subscribe((outcome) => {
        if (outcome.kind === 'dead-letter') deadLetters.push(outcome);
      });
      m.flush();

      expect(deadLetters).toMatchObject([
        {
          reason: 'order.{created,shipped,cancelled}: not enough SKU-MONITOR for A-1002: 1 wanted, 0 available',
          failures: [{ pattern: 'order.{created,shipped,cancelled}' }],
        },
      ]);
      // Handlers run in isolation: analytics and the audit saw the failed order too.
      expect(analytics.records.map((r) => r.routingKey)).toEqual([
        'user.registered', 'order.created', 'order.paid', 'order.shipped', 'order.created', 'order.cancelled', 'user.updated',
      ]);
      expect(created).toEqual(['A-1001', 'A-1002']);
      expect(inventory.available()['SKU-MONITOR']).toBe(0);
      expect(inventory.reserved().size).toBe(0);
    }),
  );
});

/** Outcome kinds, stats and handlers per routing key of a run of the demo. */
function demoSummary(settlements: readonly Settlement[]) {
  const outcomes: Record<string, number> = {};
  const handlers: Record<string, number[]> = {};
  for (const { delivery, outcome } of settlements) {
    outcomes[outcome.kind] = (outcomes[outcome.kind] ?? 0) + 1;
    (handlers[delivery.routingKey] ??= []).push(outcome.kind === 'ack' ? outcome.handlers : -1);
  }
  return { outcomes, handlers };
}

/** What one run of main.ts settles, on either broker: every event acked by the handlers its patterns select. */
const DEMO_SETTLED = {
  outcomes: { ack: 7 },
  // order.* / user.* → SendEmail; order.{created,shipped,cancelled} → UpdateInventory; * → LogAnalytics; *.created → audit
  handlers: { 'user.registered': [2], 'order.created': [4, 4], 'order.paid': [2], 'order.shipped': [3], 'order.cancelled': [3], 'user.updated': [2] },
};
/** The service bus's counters after the demo: the legacy checkout's publish is not among them. */
const DEMO_STATS = { published: 6, acked: 7, unhandled: 0, retried: 0, deadLettered: 0, dropped: 0, pipelineRestarts: 0 };

describe('examples on memory://', () => {
  it('examples - SendEmail emails every demo event on testBus, the dead-lettered order included, which waits in Q.dlq with its reason', async () => {
    const queue = 'example-service';
    const bus = await testBus({ queue, events: ALL_EVENTS, prefetch: 1 });
    teardown(() => bus.close());
    const broker = memoryBroker(bus);
    const url = `memory://${broker.name}`;
    const legacy = await testBus({ url, events: [OrderCreatedV1] });
    teardown(() => legacy.close());

    const email = new SendEmail(undefined, { latencyMs: 1 });
    const created: string[] = [];
    const inventory = new UpdateInventory(undefined, { ...DEFAULT_STOCK, 'SKU-MONITOR': 0 });
    // As main.ts registers them (see demoRoutes).
    bus.handle('order.*', email);
    bus.handle('user.*', email);
    bus.handle('order.{created,shipped,cancelled}', inventory);
    bus.handle('*', new LogAnalytics(undefined, { latencyMs: 1 }));
    bus.handle('*.created', auditInto(created));
    await bus.ready();

    const story = demoStory('corr-testbus');
    const done = settled(bus, { count: story.length, where: () => true, timeoutMs: 5_000 });
    for (const step of story) {
      if (step.publisher === 'legacy') await legacy.publish(step.event);
      else await bus.publish(step.event);
    }
    const settlements = await done;

    expect(settlements.map((s) => `${s.delivery.routingKey} ${s.outcome.kind}`)).toEqual([
      'user.registered ack', 'order.created ack', 'order.paid ack', 'order.shipped ack', 'order.created dead-letter', 'order.cancelled ack', 'user.updated ack',
    ]);
    expect(email.sent.map((e) => e.subject)).toEqual([
      'Welcome, Alice!',
      'Order A-1001 confirmed (138.90 EUR)',
      'Receipt for order A-1001: 138.90 EUR paid',
      'Order A-1001 shipped with DHL, tracking JD014600003828',
      'Order A-1002 confirmed (249.00 EUR)',
      'Order A-1002 cancelled',
      'Your profile was updated (name)',
    ]);
    expect(email.sent.map((e) => e.eventId)).toEqual(story.map((step) => step.event.id));
    expect(bus.stats()).toEqual({ published: 6, acked: 6, unhandled: 0, retried: 0, deadLettered: 1, dropped: 0, pipelineRestarts: 0 });

    expect(broker.queueDepth(queue)).toBe(0);
    expect(broker.unackedCount(queue)).toBe(0);
    const [dead, ...more] = broker.peek(`${queue}.dlq`);
    expect(more).toEqual([]);
    expect(JSON.parse(dead?.body.toString() ?? '{}')).toMatchObject({ id: story[4]?.event.id, version: 1 });
    expect(dead?.properties.headers?.[DeadLetterHeader.ERROR]).toBe('order.{created,shipped,cancelled}: not enough SKU-MONITOR for A-1002: 1 wanted, 0 available');
  });

  it('examples - main on a memory:// broker acks every event and leaves its queue and dead-letter queue empty, bound by its patterns', async () => {
    const url = memoryUrl('demo');
    const queue = 'example-service';
    const result = await runDemo({ url, queue, log: () => {} });

    expect(demoSummary(result.settlements)).toEqual(DEMO_SETTLED);
    expect(result.stats).toEqual(DEMO_STATS);
    const broker = memoryBroker(url);
    expect(broker.queueDepth(queue)).toBe(0);
    expect(broker.unackedCount(queue)).toBe(0);
    expect(broker.peek(`${queue}.dlq`)).toEqual([]);
    expect(broker.consumerCount(queue)).toBe(0); // main closed its bus
    expect(broker.bindings(queue).map((b) => `${b.exchange} ${b.routingKey}`).sort()).toEqual(
      ['#', '#.created', 'order.#', 'order.cancelled', 'order.created', 'order.shipped', 'user.#'].map((key) => `events ${key}`),
    );
  });

  it('examples - the stream app on a memory:// broker acks the whole burst, its windows add up, and nothing is left in its queues', async () => {
    const url = memoryUrl('stream');
    const queue = 'stream-app';
    const result = await runStreamApp({ url, queue, log: () => {}, orders: 8, durationMs: 160, windowMs: 40, seed: 7 });

    const total = result.published.length;
    expect(result.stats).toEqual({ published: total, acked: total, unhandled: 0, retried: 0, deadLettered: 0, dropped: 0, pipelineRestarts: 0 });
    const paid = result.published.filter((e) => e.domain === 'order' && e.action === 'paid');
    expect(result.windows.reduce((sum, w) => sum + w.payments, 0)).toBe(paid.length);
    expect(result.windows.reduce((sum, w) => sum + w.revenueCents, 0)).toBe(
      paid.reduce((sum, e) => sum + (e.domain === 'order' && e.action === 'paid' ? Math.round(e.data.amount * 100) : 0), 0),
    );
    expect(result.windows.at(-1)?.eventsSoFar).toBe(total);
    const perKey: Record<string, number> = {};
    for (const e of result.published) perKey[routingKeyOf(e)] = (perKey[routingKeyOf(e)] ?? 0) + 1;
    expect(result.counts).toEqual(perKey);
    expect(result.analytics.records).toHaveLength(total);
    expect(result.email.sent).toHaveLength(total);

    const broker = memoryBroker(url);
    expect(broker.queueDepth(queue)).toBe(0);
    expect(broker.unackedCount(queue)).toBe(0);
    expect(broker.peek(`${queue}.dlq`)).toEqual([]);
    expect(broker.consumerCount(queue)).toBe(0);
    // The handlers' patterns and the streams' (on$('*'), on$('order.paid'), on$('order.*')).
    expect(broker.bindings(queue).map((b) => `${b.exchange} ${b.routingKey}`).sort()).toEqual(
      ['#', 'order.#', 'order.cancelled', 'order.created', 'order.paid', 'order.shipped', 'user.#'].map((key) => `events ${key}`),
    );
  });
});

describe('examples on RabbitMQ', () => {
  it('examples - main on RabbitMQ settles the story as on memory:// and leaves its queue and dead-letter queue empty', async () => {
    const exchange = uniqueName('kit-demo-ex');
    const queue = uniqueName('kit-demo-q');
    teardown(async () => {
      await deleteQueues(queue, `${queue}.dlq`);
      await deleteExchange(exchange);
    });
    const result = await runDemo({ url: amqpUrl(), exchange, queue, log: () => {} });

    expect(demoSummary(result.settlements)).toEqual(DEMO_SETTLED);
    expect(result.stats).toEqual(DEMO_STATS);
    const channel = await rawChannel();
    expect(await channel.checkQueue(queue)).toMatchObject({ messageCount: 0, consumerCount: 0 });
    expect(await channel.checkQueue(`${queue}.dlq`)).toMatchObject({ messageCount: 0 });
  });
});
