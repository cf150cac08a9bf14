import { describe, expect, expectTypeOf, it } from 'vitest';
import { ConfigError, ErrorCode, isRxPubsubError } from '../../src/errors.js';
import { defineEvent } from '../../src/event/define-event.js';
import { createEvent, type Event, type EventInit } from '../../src/event/event.js';
import type { Json } from '../../src/event/json.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The error `fn` throws; fails the test when it returns. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** createEvent with only `data` varying. */
function withData(data: unknown): Event<unknown> {
  return createEvent({ domain: 'order', action: 'created', data });
}

class Money {
  constructor(readonly cents: number) {}
}

describe('createEvent', () => {
  it('createEvent - fills id (a UUID), version 1 and an ISO timestamp of now', () => {
    const before = Date.now();
    const event = createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1' } });
    const after = Date.now();

    expect(event.id).toMatch(UUID);
    expect(event.version).toBe(1);
    expect(new Date(event.timestamp).toISOString()).toBe(event.timestamp);
    expect(Date.parse(event.timestamp)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(event.timestamp)).toBeLessThanOrEqual(after);
    expect(event).toStrictEqual({
      id: event.id,
      domain: 'order',
      action: 'created',
      data: { order_id: 'A1' },
      version: 1,
      timestamp: event.timestamp,
    });
  });

  it('createEvent - every id is unique', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => withData({}).id));
    expect(ids.size).toBe(1000);
  });

  it('createEvent - accepts every field given', () => {
    const init = {
      id: 'evt-1',
      domain: 'user',
      action: 'registered',
      data: { email: 'a@example.com', tags: ['new'], nested: { n: 1.5, ok: true, none: null } },
      version: 3,
      timestamp: '2024-05-01T12:30:00.000+02:00',
      correlationId: 'corr-1',
      causationId: 'cause-1',
      metadata: { tenant: 'acme', source: 'signup' },
    } as const;
    expect(createEvent(init)).toStrictEqual(init);
  });

  it('createEvent - fields given as undefined get their defaults', () => {
    const event = createEvent({ domain: 'order', action: 'created', data: {}, id: undefined, version: undefined, correlationId: undefined });
    expect(event.id).toMatch(UUID);
    expect(event.version).toBe(1);
    expect('correlationId' in event).toBe(false);
  });

  it('createEvent - the event is frozen and its data deeply frozen', () => {
    const event = createEvent({
      domain: 'order',
      action: 'created',
      data: { items: [{ sku: 'X', qty: 1 }], customer: { name: 'Ann' } },
      metadata: { tenant: 'acme' },
    });
    const data = event.data as { items: { sku: string }[]; customer: { name: string } };
    expect(Object.isFrozen(event)).toBe(true);
    expect(Object.isFrozen(data)).toBe(true);
    expect(Object.isFrozen(data.items)).toBe(true);
    expect(Object.isFrozen(data.items[0])).toBe(true);
    expect(Object.isFrozen(data.customer)).toBe(true);
    expect(Object.isFrozen(event.metadata)).toBe(true);
    expect(() => {
      data.customer.name = 'Bob';
    }).toThrow(TypeError);
    expect(data.customer.name).toBe('Ann');
  });

  it('createEvent - copies data: later changes to the caller object do not reach the event', () => {
    const input = { items: [{ sku: 'X' }] };
    const event = withData(input);
    input.items[0]!.sku = 'Y';
    input.items.push({ sku: 'Z' });
    expect(event.data).toStrictEqual({ items: [{ sku: 'X' }] });
  });

  it('createEvent - object properties that are undefined are dropped', () => {
    const event = withData({ a: 1, b: undefined, nested: { c: undefined, d: 'x' } });
    expect(event.data).toStrictEqual({ a: 1, nested: { d: 'x' } });
    expect(Object.keys(event.data as object)).toEqual(['a', 'nested']);
  });

  it('createEvent - accepts JSON scalars, arrays and null-prototype objects as data', () => {
    expect(withData(null).data).toBeNull();
    expect(withData('text').data).toBe('text');
    expect(withData(0).data).toBe(0);
    expect(withData([1, 'two', false, null]).data).toStrictEqual([1, 'two', false, null]);
    const bare = Object.assign(Object.create(null) as object, { a: 1 });
    expect(withData(bare).data).toEqual({ a: 1 });
  });

  describe('createEvent - domain and action must be one word', () => {
    const BAD_WORDS = ['order.created', '*', '#', 'order *', 'or der', '', 'a/b'];

    it.each(BAD_WORDS)('createEvent - refuses domain %j with INVALID_EVENT', (domain) => {
      const error = thrownBy(() => createEvent({ domain, action: 'created', data: {} }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(isRxPubsubError(error, ErrorCode.INVALID_EVENT)).toBe(true);
      expect((error as Error).message).toContain('domain must be one word');
      expect((error as Error).message).toContain(JSON.stringify(domain));
    });

    it.each(BAD_WORDS)('createEvent - refuses action %j with INVALID_EVENT', (action) => {
      const error = thrownBy(() => createEvent({ domain: 'order', action, data: {} }));
      expect(isRxPubsubError(error, ErrorCode.INVALID_EVENT)).toBe(true);
      expect((error as Error).message).toContain('action must be one word');
    });

    it('createEvent - accepts letters, digits, "_" and "-"', () => {
      const event = createEvent({ domain: 'Order_2-b', action: 'created_v2-x', data: {} });
      expect([event.domain, event.action]).toEqual(['Order_2-b', 'created_v2-x']);
    });

    it('createEvent - refuses a non-string domain with INVALID_EVENT', () => {
      expect(isRxPubsubError(thrownBy(() => createEvent({ domain: 42 as unknown as string, action: 'x', data: {} })), ErrorCode.INVALID_EVENT)).toBe(true);
    });

    it('createEvent - refuses a BigInt domain with a ConfigError, not a TypeError', () => {
      expect(thrownBy(() => createEvent({ domain: 1n as unknown as string, action: 'x', data: {} }))).toBeInstanceOf(ConfigError);
    });
  });

  describe('createEvent - data must be plain JSON, and the message names the path', () => {
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    const sparse: unknown[] = [1];
    sparse[2] = 3;

    const BAD_DATA: readonly (readonly [label: string, data: unknown, path: string, why: RegExp])[] = [
      ['a Date deep in an array', { items: [{}, {}, { at: new Date(0) }] }, 'data.items[2].at', /Date is not a plain object/],
      ['a Map', { lookup: new Map([['a', 1]]) }, 'data.lookup', /Map is not a plain object/],
      ['a class instance', { price: new Money(100) }, 'data.price', /Money is not a plain object/],
      ['a function', { fn: () => 1 }, 'data.fn', /function is not JSON/],
      ['a BigInt', { total: 10n }, 'data.total', /BigInt 10n is not JSON/],
      ['NaN', { n: Number.NaN }, 'data.n', /NaN is not a JSON number/],
      ['Infinity', { n: [Number.POSITIVE_INFINITY] }, 'data.n[0]', /Infinity is not a JSON number/],
      ['-Infinity', { n: Number.NEGATIVE_INFINITY }, 'data.n', /-Infinity is not a JSON number/],
      ['undefined inside an array', { list: [1, undefined, 3] }, 'data.list[1]', /is undefined/],
      ['a hole in a sparse array', { list: sparse }, 'data.list[1]', /sparse array/],
      ['a cycle', { root: cycle }, 'data.root.self', /circular reference/],
      ['a symbol value', { s: Symbol('s') }, 'data.s', /symbol is not JSON/],
      ['symbol keys', { [Symbol('k')]: 1 }, 'data', /symbol keys/],
      ['a key that is not an identifier', { 'odd key': { at: new Date(0) } }, 'data["odd key"].at', /Date/],
      ['a Date as the whole data', new Date(0), 'data', /Date/],
    ];

    it.each(BAD_DATA)('createEvent - refuses %s', (_label, data, path, why) => {
      const error = thrownBy(() => withData(data));
      expect(error).toBeInstanceOf(ConfigError);
      expect(isRxPubsubError(error, ErrorCode.INVALID_DATA)).toBe(true);
      const message = (error as Error).message;
      expect(message.startsWith(`${path} `)).toBe(true);
      expect(message).toMatch(why);
      expect(message).toContain('plain JSON');
    });

    it('createEvent - refuses missing data and says how to send none', () => {
      const error = thrownBy(() => createEvent({ domain: 'order', action: 'created' } as EventInit));
      expect(isRxPubsubError(error, ErrorCode.INVALID_EVENT)).toBe(true);
      expect((error as Error).message).toContain('data: {}');
    });

    it('createEvent - shared (non-cyclic) references are fine', () => {
      const shared = { sku: 'X' };
      expect(withData({ a: shared, b: [shared, shared] }).data).toStrictEqual({ a: { sku: 'X' }, b: [{ sku: 'X' }, { sku: 'X' }] });
    });
  });

  describe('createEvent - other fields', () => {
    it.each([0, -1, 1.5, Number.NaN, '1', Number.POSITIVE_INFINITY])('createEvent - refuses version %j', (version) => {
      const error = thrownBy(() => createEvent({ domain: 'a', action: 'b', data: {}, version: version as number }));
      expect(isRxPubsubError(error, ErrorCode.INVALID_EVENT)).toBe(true);
      expect((error as Error).message).toContain('version must be an integer >= 1');
    });

    it('createEvent - accepts version 2', () => {
      expect(createEvent({ domain: 'a', action: 'b', data: {}, version: 2 }).version).toBe(2);
    });

    it.each(['2024-01-01T00:00:00Z', '2024-01-01T00:00:00.123Z', '2024-01-01T00:00:00+02:00', '2024-01-01T00:00Z'])(
      'createEvent - accepts timestamp %j',
      (timestamp) => {
        expect(createEvent({ domain: 'a', action: 'b', data: {}, timestamp }).timestamp).toBe(timestamp);
      },
    );

    it.each(['2024-01-01', 'yesterday', '2024-01-01 00:00:00Z', '2024-13-01T00:00:00Z', '2024-01-01T25:00:00Z', 'Mon, 01 Jan 2024 00:00:00 GMT', 1_700_000_000_000])(
      'createEvent - refuses timestamp %j',
      (timestamp) => {
        const error = thrownBy(() => createEvent({ domain: 'a', action: 'b', data: {}, timestamp: timestamp as string }));
        expect(isRxPubsubError(error, ErrorCode.INVALID_EVENT)).toBe(true);
        expect((error as Error).message).toContain('timestamp must be an ISO-8601 string');
      },
    );

    it('createEvent - refuses the impossible date 2024-02-30', () => {
      expect(() => createEvent({ domain: 'a', action: 'b', data: {}, timestamp: '2024-02-30T00:00:00Z' })).toThrow(ConfigError);
    });

    it('createEvent - refuses metadata values that are not strings, naming the key', () => {
      const error = thrownBy(() => createEvent({ domain: 'a', action: 'b', data: {}, metadata: { tenant: 'acme', retries: 3 } as never }));
      expect(isRxPubsubError(error, ErrorCode.INVALID_EVENT)).toBe(true);
      expect((error as Error).message).toContain('metadata.retries must be a string');
    });

    it.each([['an array', ['a']], ['a string', 'tenant=acme']])('createEvent - refuses metadata that is %s', (_label, metadata) => {
      expect(isRxPubsubError(thrownBy(() => createEvent({ domain: 'a', action: 'b', data: {}, metadata: metadata as never })), ErrorCode.INVALID_EVENT)).toBe(true);
    });

    it.each(['id', 'correlationId', 'causationId'] as const)('createEvent - refuses an empty %s', (field) => {
      const error = thrownBy(() => createEvent({ domain: 'a', action: 'b', data: {}, [field]: '' }));
      expect(isRxPubsubError(error, ErrorCode.INVALID_EVENT)).toBe(true);
      expect((error as Error).message).toContain(`${field} must be a non-empty string`);
    });

    it('createEvent - refuses an unknown field, listing the known ones', () => {
      const error = thrownBy(() => createEvent({ domain: 'a', action: 'b', data: {}, tenant: 'acme' } as EventInit));
      expect(isRxPubsubError(error, ErrorCode.INVALID_EVENT)).toBe(true);
      expect((error as Error).message).toContain('unknown field "tenant"');
      expect((error as Error).message).toContain('correlationId');
    });

    it.each([null, 'order.created', 42])('createEvent - refuses %j instead of an object', (init) => {
      expect(isRxPubsubError(thrownBy(() => createEvent(init as never)), ErrorCode.INVALID_EVENT)).toBe(true);
    });
  });
});

describe('defineEvent', () => {
  const OrderCreated = defineEvent('order', 'created');

  it('defineEvent - has domain, action and routingKey', () => {
    expect(OrderCreated.domain).toBe('order');
    expect(OrderCreated.action).toBe('created');
    expect(OrderCreated.routingKey).toBe('order.created');
    expectTypeOf(OrderCreated.routingKey).toEqualTypeOf<'order.created'>();
    expect(Object.isFrozen(OrderCreated)).toBe(true);
  });

  it('defineEvent - create(data) makes an event of this type with the defaults filled', () => {
    const event = OrderCreated.create({ order_id: 'A1' });
    expect(event).toMatchObject({ domain: 'order', action: 'created', data: { order_id: 'A1' }, version: 1 });
    expect(event.id).toMatch(UUID);
    expect(Object.isFrozen(event)).toBe(true);
    expectTypeOf(event.domain).toEqualTypeOf<'order'>();
    expectTypeOf(event.action).toEqualTypeOf<'created'>();
  });

  it('defineEvent - create(data, fields) takes the other fields', () => {
    const event = OrderCreated.create({ order_id: 'A1' }, { id: 'e-1', version: 2, correlationId: 'c-1', metadata: { tenant: 'acme' } });
    expect(event).toMatchObject({ id: 'e-1', version: 2, correlationId: 'c-1', metadata: { tenant: 'acme' } });
  });

  it('defineEvent - create cannot override domain or action through fields', () => {
    const event = OrderCreated.create({}, { domain: 'user', action: 'deleted' } as never);
    expect([event.domain, event.action]).toEqual(['order', 'created']);
  });

  it('defineEvent - create checks data like createEvent', () => {
    const error = thrownBy(() => OrderCreated.create({ at: new Date(0) } as never));
    expect(isRxPubsubError(error, ErrorCode.INVALID_DATA)).toBe(true);
    expect((error as Error).message).toContain('data.at');
  });

  it('defineEvent - is(event) is true for its own events and false for others', () => {
    const OrderPaid = defineEvent('order', 'paid');
    const UserCreated = defineEvent('user', 'created');
    expect(OrderCreated.is(OrderCreated.create({}))).toBe(true);
    expect(OrderCreated.is(createEvent({ domain: 'order', action: 'created', data: null }))).toBe(true);
    expect(OrderCreated.is(OrderPaid.create({}))).toBe(false);
    expect(OrderCreated.is(UserCreated.create({}))).toBe(false);
    expect(OrderCreated.is(null as never)).toBe(false);
    expect(OrderCreated.is('order.created' as never)).toBe(false);
  });

  it('defineEvent - is() narrows the event type', () => {
    const Paid = defineEvent('order', 'paid').withData<{ amount: number }>();
    const event: Event = createEvent({ domain: 'order', action: 'paid', data: { amount: 5 } });
    if (Paid.is(event)) {
      expectTypeOf(event.data).toEqualTypeOf<{ amount: number }>();
      expectTypeOf(event.action).toEqualTypeOf<'paid'>();
      expect(event.data.amount).toBe(5);
    } else {
      expect.unreachable('Paid.is() refused an order.paid event');
    }
  });

  it('defineEvent - withData<T>() types create() and the event data', () => {
    const Typed = OrderCreated.withData<{ order_id: string; total: number }>();
    expectTypeOf(Typed.create).parameter(0).toEqualTypeOf<{ order_id: string; total: number }>();
    const event = Typed.create({ order_id: 'A1', total: 10 });
    expectTypeOf(event).toEqualTypeOf<Event<{ order_id: string; total: number }, 'order', 'created'>>();
    expectTypeOf(event.data.total).toBeNumber();
    expect(event.data.total).toBe(10);
    // A type-level cast only: the same definition at runtime.
    expect(Typed.routingKey).toBe('order.created');
    // @ts-expect-error order_id must be a string
    expect(() => Typed.create({ order_id: 1, total: 10 })).not.toThrow();
  });

  it('defineEvent - without withData, data is Json', () => {
    expectTypeOf(OrderCreated.create).parameter(0).toEqualTypeOf<Json>();
  });

  it.each([
    ['order.x', 'created'],
    ['*', 'created'],
    ['order', '#'],
    ['order', ''],
    ['', 'created'],
    ['order', 'cre ated'],
  ])('defineEvent - refuses (%j, %j) with INVALID_EVENT', (domain, action) => {
    const error = thrownBy(() => defineEvent(domain, action));
    expect(error).toBeInstanceOf(ConfigError);
    expect(isRxPubsubError(error, ErrorCode.INVALID_EVENT)).toBe(true);
    expect((error as Error).message).toMatch(/^defineEvent\(\): (domain|action) must be one word/);
  });
});
