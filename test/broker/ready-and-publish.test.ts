import { describe, expect, it } from 'vitest';
import { ConfigError, ConnectionError, createEvent, ErrorCode, type Event } from '../../src/index.js';
import {
  brokerView,
  collectSettlements,
  connectBus,
  expectRxError,
  names,
  orderEvent,
  TRANSPORTS,
  uniqueName,
  waitFor,
  waitForCount,
} from '../support/bus.js';

describe.each(TRANSPORTS)('ready and publish (%s)', (_kind, makeUrl) => {
  it('ready - an event published right after ready() is never missed (20 fresh buses and queues)', async () => {
    const url = makeUrl();
    for (let round = 0; round < 20; round++) {
      const bus = await connectBus({ url, ...names('ready') });
      const seen: Event[] = [];
      bus.handle('order.created', (event) => void seen.push(event));
      await bus.ready();
      const event = orderEvent();
      await bus.publish(event);
      await waitFor(() => seen.length === 1, { timeoutMs: 5_000, description: `round ${round}: the event published right after ready()` });
      expect(seen[0]?.id).toBe(event.id);
      await bus.close();
    }
  });

  it('ready - each handler added later on a running bus is bound by the time ready() resolves', async () => {
    const url = makeUrl();
    const bus = await connectBus({ url, ...names('ready-late') });
    const seen = new Map<string, string>();
    for (let round = 0; round < 20; round++) {
      const action = `a${round}`;
      bus.handle(`order.${action}`, (event) => void seen.set(event.action, event.id));
      await bus.ready();
      const event = orderEvent(action);
      await bus.publish(event);
      await waitFor(() => seen.get(action) === event.id, { timeoutMs: 5_000, description: `the handler of order.${action}` });
    }
  });

  it('ready - an on$ stream subscribed before ready() sees the event published right after it', async () => {
    const bus = await connectBus({ url: makeUrl(), ...names('ready-on') });
    const seen: Event[] = [];
    const subscription = bus.on$('user.*').subscribe((event) => seen.push(event));
    try {
      await bus.ready();
      const event = createEvent({ domain: 'user', action: 'registered', data: { user_id: 'U1' } });
      await bus.publish(event);
      await waitForCount(seen, 1, 'events on the stream');
      expect(seen[0]).toEqual(event);
    } finally {
      subscription.unsubscribe();
    }
  });

  it('publish - resolves only once the broker holds the message', async () => {
    const url = makeUrl();
    const { exchange } = names('confirm');
    const bus = await connectBus({ url, exchange });
    const view = await brokerView(url);
    const queue = uniqueName('confirm-raw');
    await view.declareBoundQueue(exchange, queue, 'order.*');

    await bus.publish(orderEvent());
    expect(await view.depth(queue)).toBe(1);

    await Promise.all(Array.from({ length: 50 }, (_, i) => bus.publish(orderEvent('paid', { n: i }))));
    expect(await view.depth(queue)).toBe(51);
    expect(bus.stats().published).toBe(51);
  });

  it('publish - a publish-only bus (no queue) publishes and refuses handle/on$ with a ConfigError', async () => {
    const url = makeUrl();
    const { exchange } = names('pubonly');
    const bus = await connectBus({ url, exchange });
    const view = await brokerView(url);
    const queue = uniqueName('pubonly-raw');
    await view.declareBoundQueue(exchange, queue, '#');
    await bus.publish(orderEvent());
    expect(await view.depth(queue)).toBe(1);
    await expectRxError(() => bus.handle('order.*', () => undefined), ConfigError, ErrorCode.INVALID_OPTIONS);
    await expectRxError(() => bus.on$('order.*'), ConfigError, ErrorCode.INVALID_OPTIONS);
    await bus.ready();
  });

  it('publish - rejects with ConnectionError CLOSED after close()', async () => {
    const bus = await connectBus({ url: makeUrl(), ...names('closed') });
    await bus.close();
    const error = await expectRxError(bus.publish(orderEvent()), ConnectionError, ErrorCode.CLOSED);
    expect(error.message).toMatch(/closed/i);
  });

  it('publish - a bad event is refused with INVALID_EVENT / INVALID_DATA naming the path, and nothing is sent', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('bad-event');
    const bus = await connectBus({ url, exchange, queue });
    const settlements = collectSettlements(bus);
    bus.handle('*', () => undefined);
    await bus.ready();
    const good = orderEvent();

    const dotted = await expectRxError(bus.publish({ ...good, domain: 'order.eu' }), ConfigError, ErrorCode.INVALID_EVENT);
    expect(dotted.message).toContain('domain');
    const wildcard = await expectRxError(bus.publish({ ...good, action: '*' }), ConfigError, ErrorCode.INVALID_EVENT);
    expect(wildcard.message).toContain('action');
    const version = await expectRxError(bus.publish({ ...good, version: 0 }), ConfigError, ErrorCode.INVALID_EVENT);
    expect(version.message).toContain('version');
    await expectRxError(bus.publish(undefined as unknown as Event), ConfigError, ErrorCode.INVALID_EVENT);
    await expectRxError(bus.publish({ ...good, id: '' }), ConfigError, ErrorCode.INVALID_EVENT);

    const withDate = { ...good, data: { items: [1, 2, { at: new Date() }] } } as unknown as Event;
    const date = await expectRxError(bus.publish(withDate), ConfigError, ErrorCode.INVALID_DATA);
    expect(date.message).toContain('data.items[2].at');
    const withNaN = { ...good, data: { total: Number.NaN } } as unknown as Event;
    const nan = await expectRxError(bus.publish(withNaN), ConfigError, ErrorCode.INVALID_DATA);
    expect(nan.message).toContain('data.total');
    const withMap = { ...good, data: { lines: new Map() } } as unknown as Event;
    expect((await expectRxError(bus.publish(withMap), ConfigError, ErrorCode.INVALID_DATA)).message).toContain('data.lines');

    // The good one goes through, and is the only delivery the queue ever saw.
    await bus.publish(good);
    await waitForCount(settlements, 1, 'settlements');
    expect(settlements.map((s) => s.event?.id)).toEqual([good.id]);
    expect(bus.stats().published).toBe(1);
  });
});
