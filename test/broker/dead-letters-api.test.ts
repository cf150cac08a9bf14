import { inspect } from 'node:util';
import { lastValueFrom, takeWhile, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  ConnectionError,
  createEvent,
  ErrorCode,
  type Event,
  type DeadLetterReplayProgress,
  RxPubsubHeader as Header,
} from '../../src/index.js';
import {
  amqpUrl,
  brokerView,
  collectSettlements,
  connectBus,
  names,
  registerCleanup,
  TRANSPORTS,
  uniqueName,
  waitFor,
  waitForCount,
  waitForDepth,
} from '../support/bus.js';
import { declareExchange, declareQueue, fillDeadLetters, openDeadLetters } from '../support/dead-letters.js';

const ids = (events: readonly { readonly id: string }[]): string[] => events.map((event) => event.id);

describe.each(TRANSPORTS)('dead letters API (%s)', (kind, makeUrl) => {
  /**
   * A bus on a fresh queue whose `order.created`, `order.paid` and `*.shipped` handlers fail while `broken.now`,
   * and 12 events through it (4 of each, in turn); resolves once all 12 are in Q.dlq.
   */
  async function failingService(prefix: string, type: 'quorum' | 'classic' = 'quorum') {
    const url = makeUrl();
    const { exchange, queue } = names(prefix);
    const bus = await connectBus({ url, exchange, queue, queueOptions: { type } });
    const broken = { now: true };
    const handled: Event[] = [];
    const fail = (reason: string) => (event: Event) => {
      if (broken.now) throw new Error(reason);
      handled.push(event);
    };
    bus.handle('order.created', fail('db down'));
    bus.handle('order.paid', fail('payment declined'));
    bus.handle('*.shipped', fail('carrier timeout'));
    await bus.ready();
    const view = await brokerView(url);
    const events: Event[] = [];
    for (let i = 0; i < 12; i++) {
      const event = createEvent({ domain: 'order', action: ['created', 'paid', 'shipped'][i % 3] ?? 'created', data: { n: i } });
      events.push(event);
      await bus.publish(event);
    }
    await waitFor(() => bus.stats().deadLettered === 12, { description: '12 dead-lettered' });
    await waitForDepth(view, `${queue}.dlq`, 12);
    return { url, exchange, queue, bus, view, broken, handled, events, dlq: openDeadLetters({ url, queue, exchange }) };
  }

  it('stats - a Q.dlq filled by failing handlers is counted by error, failed pattern and routing key, with oldest and newest', async () => {
    const started = Date.now();
    const { dlq, view, queue } = await failingService('dla-stats');

    const stats = await dlq.stats();
    expect(stats).toMatchObject({ examined: 12, total: 12 });
    expect(stats.byError.map((g) => [g.key, g.count]).sort()).toEqual([
      ['*.shipped: carrier timeout', 4],
      ['order.created: db down', 4],
      ['order.paid: payment declined', 4],
    ]);
    expect(stats.byPattern.map((g) => [g.key, g.count]).sort()).toEqual([
      ['*.shipped', 4],
      ['order.created', 4],
      ['order.paid', 4],
    ]);
    expect(stats.byRoutingKey.map((g) => [g.key, g.count]).sort()).toEqual([
      ['order.created', 4],
      ['order.paid', 4],
      ['order.shipped', 4],
    ]);
    expect(stats.oldest!.getTime()).toBeGreaterThanOrEqual(started - 1_000);
    expect(stats.newest!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(stats.oldest!.getTime()).toBeLessThanOrEqual(stats.newest!.getTime());

    const filtered = await dlq.stats({ filter: { routingKey: 'order.{created,paid}' } });
    expect(filtered).toMatchObject({ examined: 12, total: 8 });
    expect(filtered.byPattern.map((g) => g.key).sort()).toEqual(['order.created', 'order.paid']);
    expect(await view.depth(`${queue}.dlq`)).toBe(12);
  });

  it('peek - on the quorum Q.dlq of a default bus: decoded entries, head first; three peeks leave its depth and order, lose nothing, and count one delivery each', async () => {
    const { dlq, view, queue, events } = await failingService('dla-peek');

    const first = await dlq.peek();
    const again = await dlq.peek();
    // A limit limits what is returned: the whole queue is read all the same, or the 7 others would move ahead of these 5.
    const head = await dlq.peek({ limit: 5 });
    expect(first.map((e) => e.position)).toEqual([...Array(12).keys()]);
    expect(ids(first.map((e) => e.event!)).sort()).toEqual(ids(events).sort());
    expect(again.map((e) => e.messageId)).toEqual(first.map((e) => e.messageId));
    expect(head.map((e) => e.messageId)).toEqual(first.slice(0, 5).map((e) => e.messageId));
    const created = first.find((e) => e.routingKey === 'order.created');
    expect(created).toMatchObject({
      source: 'rx-pubsub',
      error: 'order.created: db down',
      patterns: ['order.created'],
      attempts: 1,
      replayed: 0,
    });
    expect(created?.event).toEqual(events.find((e) => e.id === created?.messageId));
    expect(created?.lastFailedAt).toBeInstanceOf(Date);
    expect((await dlq.stats()).total).toBe(12);

    expect(await view.depth(`${queue}.dlq`)).toBe(12);
    const left = await view.take(`${queue}.dlq`);
    expect(left.map((m) => m.properties.messageId)).toEqual(first.map((e) => e.messageId));
    expect(left.map((m) => m.properties.headers?.['x-delivery-count'])).toEqual(Array(12).fill(4));
  });

  it('peek - on a classic Q.dlq (queueOptions.type classic) nothing is counted as delivered', async () => {
    const { dlq, view, queue } = await failingService('dla-peek-classic', 'classic');
    const first = await dlq.peek({ limit: 5 });
    expect((await dlq.peek()).slice(0, 5).map((e) => e.messageId)).toEqual(first.map((e) => e.messageId));
    const left = await view.take(`${queue}.dlq`);
    expect(left.map((m) => m.properties.messageId).slice(0, 5)).toEqual(first.map((e) => e.messageId));
    expect(left.every((m) => (m.properties.headers?.['x-delivery-count'] ?? 0) === 0)).toBe(true);
  });

  it('peek - a quorum dead-letter queue with x-delivery-limit is refused (UNSAFE_READ) however often, and loses nothing; replaying part of it reads only what it removes', async () => {
    const url = makeUrl();
    registerCleanup(url);
    const queue = uniqueName('dla-qq-svc');
    const deadLetterQueue = uniqueName('dla-qq');
    await declareQueue(url, queue);
    await declareQueue(url, deadLetterQueue, { 'x-queue-type': 'quorum', 'x-delivery-limit': 1 });
    const events = await fillDeadLetters(url, deadLetterQueue, 5);
    const dlq = openDeadLetters({ url, queue, deadLetterQueue });
    const view = await brokerView(url);

    for (let i = 0; i < 4; i++) {
      await expect(dlq.peek()).rejects.toMatchObject({ code: ErrorCode.UNSAFE_READ });
    }
    const refused = await dlq.stats().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as Error).message).toMatch(/quorum queue with x-delivery-limit 1: .*needs no delivery limit/);
    await expect(dlq.purge({ filter: { routingKey: 'order.*' } })).rejects.toMatchObject({ code: ErrorCode.UNSAFE_READ });
    await expect(lastValueFrom(dlq.replay({ filter: { routingKey: 'order.*' } }))).rejects.toMatchObject({ code: ErrorCode.UNSAFE_READ });
    expect(await view.depth(deadLetterQueue)).toBe(5);

    expect(await lastValueFrom(dlq.replay({ limit: 2 }))).toMatchObject({ replayed: 2, failed: 0, total: 2 });
    const left = await view.take(deadLetterQueue);
    expect(left.map((m) => m.properties.messageId)).toEqual(ids(events.slice(2)));
    expect(left.map((m) => m.properties.headers?.['x-delivery-count'] ?? 0)).toEqual([0, 0, 0]);
    expect((await view.take(queue)).map((m) => m.properties.messageId)).toEqual(ids(events.slice(0, 2)));
  });

  it('replay to the queue - each dead letter is handled once by the service; Q.dlq ends empty; attempts reset, history kept, rx-pubsub-replayed 1, then 2', async () => {
    const { dlq, view, queue, bus, broken, handled, events } = await failingService('dla-replay');
    const settlements = collectSettlements(bus);

    // Still broken: the replayed events fail again and come back to Q.dlq, counted once.
    const first = await lastValueFrom(dlq.replay());
    expect(first).toMatchObject({ replayed: 12, skipped: 0, failed: 0, total: 12 });
    await waitForCount(settlements, 12, 'settlements of the first replay');
    await waitForDepth(view, `${queue}.dlq`, 12);
    const failedAgain = await dlq.peek();
    expect(failedAgain.every((e) => e.replayed === 1 && e.attempts === 1 && e.history.length === 2)).toBe(true);

    broken.now = false;
    const progress = await lastValueFrom(dlq.replay().pipe(toArray()));
    expect(progress[0]).toEqual({ replayed: 0, skipped: 0, failed: 0, total: 12 });
    expect(progress.at(-1)).toMatchObject({ replayed: 12, skipped: 0, failed: 0, total: 12 });
    await waitFor(() => handled.length >= 12, { timeoutMs: 10_000, description: '12 handled' });
    expect(ids(handled).sort()).toEqual(ids(events).sort());
    expect(await view.depth(`${queue}.dlq`)).toBe(0);

    const delivered = settlements.slice(12).map((s) => s.delivery);
    expect(delivered).toHaveLength(12);
    for (const delivery of delivered) {
      const headers = delivery.properties.headers ?? {};
      expect(headers[Header.REPLAYED]).toBe(2);
      for (const reset of [Header.ATTEMPTS, Header.ERROR, Header.PATTERNS, Header.PENDING, Header.FAILED_AT])
        expect(headers).not.toHaveProperty(reset);
      expect(String(headers[Header.HISTORY]).split('\n')).toHaveLength(2);
      expect(headers[Header.ROUTING_KEY]).toBe(`order.${events.find((e) => e.id === delivery.properties.messageId)?.action}`);
      expect(delivery.exchange).toBe('');
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(handled).toHaveLength(12);
  });

  it("replay to the exchange - the copy goes out with its routing key and reaches another service's queue bound to it", async () => {
    const url = makeUrl();
    const { exchange, queue } = names('dla-exch');
    const other = uniqueName('dla-other');
    const view = await brokerView(url);
    const bus = await connectBus({ url, exchange, queue });
    bus.handle('order.created', () => Promise.reject(new Error('db down')));
    await bus.ready();
    await view.declareBoundQueue(exchange, other, 'order.created');
    const events = [
      createEvent({ domain: 'order', action: 'created', data: {} }),
      createEvent({ domain: 'order', action: 'created', data: {} }),
    ];
    for (const event of events) await bus.publish(event);
    await waitForDepth(view, `${queue}.dlq`, 2);
    await waitForDepth(view, other, 2);

    const dlq = openDeadLetters({ url, queue, exchange });
    expect(await lastValueFrom(dlq.replay({ to: 'exchange' }))).toMatchObject({ replayed: 2, failed: 0 });
    await waitForDepth(view, other, 4);
    const copies = (await view.take(other)).slice(2);
    expect(copies.map((m) => m.properties.messageId).sort()).toEqual(ids(events).sort());
    expect(copies.every((m) => m.routingKey === 'order.created' && m.properties.headers?.[Header.REPLAYED] === 1)).toBe(true);
    // The service itself got them too, and failed again: back in its Q.dlq.
    await waitForDepth(view, `${queue}.dlq`, 2);
  });

  it('filters - peek, replay and purge take exactly the matching dead letters; the others stay, in order', async () => {
    const { dlq, view, queue, broken, handled } = await failingService('dla-filter');
    const all = await dlq.peek();
    const inOrder = (keep: (e: (typeof all)[number]) => boolean) => all.filter(keep).map((e) => e.messageId);

    expect((await dlq.peek({ filter: { pattern: '*.shipped' } })).map((e) => e.messageId)).toEqual(
      inOrder((e) => e.routingKey === 'order.shipped'),
    );
    expect((await dlq.peek({ filter: { error: /payment/ }, limit: 2 })).map((e) => e.messageId)).toEqual(
      inOrder((e) => e.routingKey === 'order.paid').slice(0, 2),
    );
    const cut = all[5]!.lastFailedAt!.getTime() + 1;
    expect((await dlq.peek({ filter: { since: cut } })).map((e) => e.messageId)).toEqual(inOrder((e) => e.lastFailedAt!.getTime() >= cut));
    expect((await dlq.peek({ filter: { until: new Date(cut) } })).map((e) => e.messageId)).toEqual(
      inOrder((e) => e.lastFailedAt!.getTime() < cut),
    );

    broken.now = false;
    const paid = inOrder((e) => e.routingKey === 'order.paid');
    expect(await lastValueFrom(dlq.replay({ filter: { routingKey: 'order.paid' } }))).toMatchObject({ replayed: 4, skipped: 8, total: 12 });
    await waitFor(() => handled.length === 4, { description: 'the 4 paid handled' });
    expect(ids(handled).sort()).toEqual([...paid].sort());
    expect((await dlq.peek()).map((e) => e.messageId)).toEqual(inOrder((e) => e.routingKey !== 'order.paid'));

    expect(await dlq.purge({ filter: { error: /carrier/ } })).toEqual({ purged: 4, kept: 4 });
    expect((await dlq.peek()).map((e) => e.messageId)).toEqual(inOrder((e) => e.routingKey === 'order.created'));
    expect(await dlq.purge({ limit: 1 })).toEqual({ purged: 1, kept: 0 });
    expect(await view.depth(`${queue}.dlq`)).toBe(3);
  });

  it('replay - unsubscribing part-way stops it: every dead letter is replayed or still in Q.dlq, in order, none lost', async () => {
    const url = makeUrl();
    registerCleanup(url);
    const queue = uniqueName('dla-stop');
    await declareQueue(url, queue);
    await declareQueue(url, `${queue}.dlq`);
    const events = await fillDeadLetters(url, `${queue}.dlq`, 300);
    const dlq = openDeadLetters({ url, queue });
    const view = await brokerView(url);

    const seen: DeadLetterReplayProgress[] = await lastValueFrom(
      dlq.replay({ window: 10 }).pipe(
        takeWhile((progress) => progress.replayed < 50),
        toArray(),
      ),
    );
    expect(seen.at(-1)?.replayed).toBeLessThan(50);
    // Stopping is asynchronous: the next operation runs after it (operations of one DeadLetters are serialized).
    const stats = await dlq.stats();
    const replayed = await view.take(queue);
    const left = (await dlq.peek({ limit: 1_000 })).map((e) => e.messageId);
    expect(replayed.length).toBeGreaterThanOrEqual(50);
    expect(replayed.length).toBeLessThan(300);
    expect(stats.total).toBe(left.length);
    expect(new Set([...replayed.map((m) => m.properties.messageId), ...left])).toEqual(new Set(ids(events)));
    expect(replayed.length + left.length - 300).toBeLessThanOrEqual(10);
    expect(left).toEqual(ids(events).filter((id) => left.includes(id)));
  });

  it.each([
    ['classic', {}],
    ['quorum', { 'x-queue-type': 'quorum' }],
  ])(
    'peek and purge - on a %s Q.dlq, 1,200 dead letters (more than one consumer of 500) keep their order; a filtered purge removes only the matching ones',
    async (_type, args) => {
      const url = makeUrl();
      registerCleanup(url);
      const queue = uniqueName('dla-many');
      await declareQueue(url, queue);
      await declareQueue(url, `${queue}.dlq`, args);
      const events = await fillDeadLetters(url, `${queue}.dlq`, 1_200, ['created', 'paid', 'shipped']);
      const dlq = openDeadLetters({ url, queue });
      const view = await brokerView(url);

      expect((await dlq.peek({ limit: 2_000 })).map((e) => e.messageId)).toEqual(ids(events));
      expect((await dlq.peek({ filter: { messageId: events[1_150]!.id } })).map((e) => e.position)).toEqual([1_150]);
      expect(await dlq.purge({ filter: { routingKey: 'order.paid' } })).toEqual({ purged: 400, kept: 800 });
      expect((await view.take(`${queue}.dlq`)).map((m) => m.properties.messageId)).toEqual(ids(events.filter((e) => e.action !== 'paid')));
    },
    30_000,
  );

  it('replay to the exchange - a copy no queue takes (nothing bound to its key) is counted failed, and its dead letter stays, in order', async () => {
    const url = makeUrl();
    registerCleanup(url);
    const queue = uniqueName('dla-unroutable');
    const exchange = uniqueName('dla-unroutable-x');
    await declareQueue(url, queue);
    await declareQueue(url, `${queue}.dlq`);
    await declareExchange(url, exchange);
    const events = await fillDeadLetters(url, `${queue}.dlq`, 6, ['created', 'paid']);
    const view = await brokerView(url);
    await view.declareBoundQueue(exchange, queue, 'order.paid');
    const dlq = openDeadLetters({ url, queue, exchange });

    expect(await lastValueFrom(dlq.replay({ to: 'exchange' }))).toMatchObject({ replayed: 3, failed: 3, total: 6 });
    expect((await view.take(queue)).map((m) => m.properties.messageId)).toEqual(ids(events.filter((e) => e.action === 'paid')));
    expect((await view.take(`${queue}.dlq`)).map((m) => m.properties.messageId)).toEqual(ids(events.filter((e) => e.action === 'created')));
  });

  it('errors - a missing dead-letter queue or exchange is a ConfigError naming it', async () => {
    const url = makeUrl();
    registerCleanup(url);
    const queue = uniqueName('dla-none');
    const dlq = openDeadLetters({ url, queue, exchange: uniqueName('dla-nox') });
    await expect(dlq.peek()).rejects.toMatchObject({
      code: ErrorCode.INVALID_ARGUMENT,
      message: expect.stringContaining(`${queue}.dlq`) as string,
    });
    await declareQueue(url, queue);
    await declareQueue(url, `${queue}.dlq`);
    await expect(lastValueFrom(dlq.replay({ to: 'exchange' }))).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });
});

describe('dead letters API - what a declare tells (amqp)', () => {
  /** A Q.dlq declared with `args` behind the bus's back, holding 3 dead letters; what two peeks do to it. */
  async function peekTwice(args: Record<string, unknown>, options: { countedReads?: boolean } = {}) {
    const url = amqpUrl();
    registerCleanup(url);
    const queue = uniqueName('dla-declared');
    await declareQueue(url, queue);
    await declareQueue(url, `${queue}.dlq`, args);
    // A stream can be neither filled nor emptied as a queue is (basic.get): it only has to be refused.
    const stream = args['x-queue-type'] === 'stream';
    const events = stream ? [] : await fillDeadLetters(url, `${queue}.dlq`, 3);
    const dlq = openDeadLetters({ url, queue, ...options });
    const outcome = await Promise.all([dlq.peek({ limit: 1 }), dlq.peek()]).catch((error: unknown) => error);
    const left = stream ? [] : await (await brokerView(url)).take(`${queue}.dlq`);
    return { outcome, events, left };
  }

  it.each([
    ['classic with a TTL (compared before x-queue-type)', { 'x-message-ttl': 600_000 }, 0],
    ['quorum with x-max-length (compared before x-delivery-limit)', { 'x-queue-type': 'quorum', 'x-max-length': 1_000 }, 2],
    ['quorum with a dead-letter exchange of its own', { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': 'elsewhere' }, 2],
  ])('read profile - %s: peeked in its order, nothing lost, counted as its type counts', async (_, args, counted) => {
    const { outcome, events, left } = await peekTwice(args);
    expect((outcome as { messageId: string }[][]).map((entries) => entries.map((e) => e.messageId))).toEqual([
      ids(events.slice(0, 1)),
      ids(events),
    ]);
    expect(left.map((m) => m.properties.messageId)).toEqual(ids(events));
    expect(left.map((m) => m.properties.headers?.['x-delivery-count'] ?? 0)).toEqual([counted, counted, counted]);
  });

  it.each([
    [
      'a delivery limit behind x-max-length',
      { 'x-queue-type': 'quorum', 'x-max-length': 1_000, 'x-delivery-limit': 3 },
      /with x-delivery-limit 3/,
    ],
    [
      'a delivery limit beside a TTL',
      { 'x-queue-type': 'quorum', 'x-message-ttl': 600_000, 'x-delivery-limit': 2 },
      /with x-delivery-limit 2/,
    ],
    ['a stream', { 'x-queue-type': 'stream' }, /is a stream queue/],
  ])('read profile - %s is refused (UNSAFE_READ), countedReads or not; nothing read', async (_, args, message) => {
    for (const countedReads of [false, true]) {
      const { outcome, events, left } = await peekTwice(args, { countedReads });
      expect(outcome).toMatchObject({ code: ErrorCode.UNSAFE_READ, message: expect.stringMatching(message) as string });
      expect(left.map((m) => m.properties.messageId)).toEqual(ids(events));
      expect(left.every((m) => (m.properties.headers?.['x-delivery-count'] ?? 0) === 0)).toBe(true);
    }
  });
});

describe('dead letters API - credentials (amqp)', () => {
  it('credentials - a refused login is a ConnectionError that never shows the password, nor does inspecting the DeadLetters', async () => {
    const url = new URL(amqpUrl());
    url.password = 'n0t-the-Pa55word';
    const dlq = openDeadLetters({ url: url.toString(), queue: uniqueName('dla-login') });
    const error: unknown = await dlq.stats().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: ErrorCode.CONNECTION_FAILED, retriable: false });
    expect(`${String(error)} ${inspect(error, { depth: 5 })}`).not.toContain('n0t-the-Pa55word');
    expect(inspect(dlq, { depth: 10 })).not.toContain('n0t-the-Pa55word');
    expect(JSON.stringify(dlq)).not.toContain('n0t-the-Pa55word');
  });
});
