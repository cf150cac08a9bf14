/**
 * The event catalog on memory://: definitions with schemas, versions and
 * upcasters, the catalog's checks in both directions, and the bus guarding
 * the wire with them. test/broker/catalog.test.ts runs the wire scenarios
 * against RabbitMQ too.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type AnyEventDefinition,
  ConfigError,
  createCatalog,
  createEvent,
  DeadLetterHeader,
  defineEvent,
  DeliveryError,
  ErrorCode,
  type Event,
  EventBus,
  EventValidationError,
  isRxPubsubError,
} from '../../src/index.js';
import { encodeEvent } from '../../src/blocks.js';
import { describeIssues } from '../../src/event/event-validation-error.js';
import {
  brokerView,
  collectSettlements,
  expectRxError,
  names,
  registerCleanup,
  teardown,
  uniqueName,
  waitForCount,
  waitForDepth,
} from '../support/bus.js';

const OrderCreated = defineEvent('order', 'created', {
  schema: z.object({ order_id: z.string(), total: z.number().positive() }),
});

/** Version 1 of order.paid had a bare amount; version 2 names the currency. */
type OrderPaidV1 = { order_id: string; amount: number };
const OrderPaidV1 = defineEvent('order', 'paid', { schema: z.object({ order_id: z.string(), amount: z.number() }) });
const OrderPaid = defineEvent('order', 'paid', {
  version: 2,
  schema: z.object({ order_id: z.string(), amount: z.object({ value: z.number(), currency: z.string() }) }),
  upcast: { 1: (v1: OrderPaidV1) => ({ order_id: v1.order_id, amount: { value: v1.amount, currency: 'EUR' } }) },
});

const UserRegistered = defineEvent('user', 'registered', {
  schema: z.object({ user_id: z.string(), email: z.email(), plan: z.enum(['free', 'pro']).default('free') }),
});

/** A bus on a fresh memory broker with a queue, closed (and the broker forgotten) when the test ends. */
async function connectCatalogBus<const T extends readonly AnyEventDefinition[]>(events: T) {
  const url = `memory://${uniqueName('cat')}`;
  const { exchange, queue } = names('cat');
  registerCleanup(url, exchange, queue);
  const bus = await EventBus.connect({ url, exchange, queue, events, handlerTimeoutMs: 5_000, publishTimeoutMs: 5_000 });
  teardown(() => bus.close());
  return { bus, url, exchange, queue, view: await brokerView(url) };
}

/** The wire form of `event`, as another publisher would send it. */
function wireOf(event: Event<unknown>) {
  return {
    routingKey: `${event.domain}.${event.action}`,
    body: encodeEvent(event as Event),
    properties: { contentType: 'application/json', deliveryMode: 2, messageId: event.id, type: `${event.domain}.${event.action}` },
  };
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('defineEvent with options', () => {
  it('catalog - defineEvent keeps schema, version and upcasters; create stamps the version', () => {
    expect(OrderPaid.version).toBe(2);
    expect(OrderPaid.schema?.['~standard'].vendor).toBe('zod');
    expect(Object.keys(OrderPaid.upcast)).toEqual(['1']);
    expect(Object.isFrozen(OrderPaid.upcast)).toBe(true);
    expect(OrderPaid.create({ order_id: 'A1', amount: { value: 5, currency: 'EUR' } }).version).toBe(2);
    expect(OrderCreated.version).toBe(1);
    expect(defineEvent('audit', 'logged')).toMatchObject({ version: 1, schema: undefined, upcast: {} });
  });

  it('catalog - create does not run the schema: the bus does, on publish', () => {
    const event = OrderCreated.create({ order_id: 'A1', total: -1 });
    expect(event.data).toEqual({ order_id: 'A1', total: -1 });
  });

  it.each([
    ['version 0', { version: 0 }, /version must be an integer >= 1/],
    ['version 1.5', { version: 1.5 }, /version must be an integer >= 1/],
    ['a schema without ~standard', { schema: { parse: () => null } }, /schema must be a Standard Schema validator/],
    ['an upcaster from the current version', { version: 2, upcast: { 2: (d: unknown) => d } }, /upcast key "2" must be a version from 1 to 1/],
    ['an upcaster key that is not a version', { version: 2, upcast: { v1: (d: unknown) => d } }, /upcast key "v1"/],
    ['an upcaster that is not a function', { version: 2, upcast: { 1: 'x' } }, /upcast\[1\] must be a function/],
    ['an unknown option', { schemas: {} }, /"schemas" is not an option/],
  ])('catalog - defineEvent refuses %s with INVALID_ARGUMENT', (_label, options, message) => {
    const error = thrownBy(() => defineEvent('order', 'created', options as never));
    expect(error).toBeInstanceOf(ConfigError);
    expect(isRxPubsubError(error, ErrorCode.INVALID_ARGUMENT)).toBe(true);
    expect((error as Error).message).toMatch(/^defineEvent\('order', 'created'\):/);
    expect((error as Error).message).toMatch(message);
  });
});

describe('createCatalog', () => {
  it('catalog - refuses an item not made by defineEvent, and a routing key listed twice', async () => {
    const notADefinition = thrownBy(() => createCatalog([OrderCreated, { domain: 'order', action: 'paid' } as never]));
    expect(isRxPubsubError(notADefinition, ErrorCode.INVALID_OPTIONS)).toBe(true);
    expect((notADefinition as Error).message).toMatch(/events\[1\] is not an event definition .*defineEvent\(\)/);
    const twice = thrownBy(() => createCatalog([OrderPaidV1, OrderPaid]));
    expect((twice as Error).message).toMatch(/lists order\.paid twice/);
    await expectRxError(EventBus.connect({ url: 'memory://catalog-refused', events: [42 as never] }), ConfigError, ErrorCode.INVALID_OPTIONS);
  });

  it('catalog - checkIncoming upcasts one version at a time, parses, and returns a frozen event at the current version', () => {
    const V3 = defineEvent('order', 'paid', {
      version: 3,
      schema: z.object({ order_id: z.string(), amount: z.object({ value: z.number(), currency: z.string() }), paid_at: z.string() }),
      upcast: {
        1: (v1: OrderPaidV1) => ({ order_id: v1.order_id, amount: { value: v1.amount, currency: 'EUR' } }),
        2: (v2: { order_id: string; amount: { value: number; currency: string } }) => ({ ...v2, paid_at: 'unknown' }),
      },
    });
    const v1 = OrderPaidV1.create({ order_id: 'A1', amount: 5 }, { correlationId: 'c-1' });
    const read = createCatalog([V3]).checkIncoming(v1);
    expect(read).toEqual({ ...v1, version: 3, data: { order_id: 'A1', amount: { value: 5, currency: 'EUR' }, paid_at: 'unknown' } });
    expect(Object.isFrozen(read)).toBe(true);
    expect(Object.isFrozen((read.data as { amount: object }).amount)).toBe(true);
  });

  it('catalog - checkIncoming explains a future version, a missing upcaster and a failing one', () => {
    const catalog = createCatalog([OrderPaid]);
    const future = thrownBy(() => catalog.checkIncoming(createEvent({ domain: 'order', action: 'paid', version: 3, data: {} })));
    expect(future).toBeInstanceOf(DeliveryError);
    expect(isRxPubsubError(future, ErrorCode.BAD_MESSAGE)).toBe(true);
    expect((future as Error).message).toMatch(/order\.paid version 3 is newer than this consumer knows \(version 2\)/);

    const NoUpcaster = defineEvent('order', 'shipped', { version: 3, upcast: { 2: (v2) => v2 } });
    const missing = thrownBy(() => createCatalog([NoUpcaster]).checkIncoming(createEvent({ domain: 'order', action: 'shipped', data: {} })));
    expect((missing as Error).message).toMatch(/order\.shipped version 1 cannot be read as version 3: no upcaster from version 1/);

    const Throwing = defineEvent('order', 'shipped', {
      version: 2,
      upcast: {
        1: () => {
          throw new Error('carrier unknown');
        },
      },
    });
    const failing = thrownBy(() => createCatalog([Throwing]).checkIncoming(createEvent({ domain: 'order', action: 'shipped', data: {} })));
    expect((failing as Error).message).toBe('order.shipped upcast from version 1 failed: carrier unknown');
  });

  it('catalog - checkIncoming leaves events of other types, and schema-less events of the current version, untouched', () => {
    const Plain = defineEvent('audit', 'logged');
    const catalog = createCatalog([OrderCreated, Plain]);
    const other = createEvent({ domain: 'invoice', action: 'sent', data: { anything: true } });
    const plain = Plain.create(['x']);
    expect(catalog.checkIncoming(other)).toBe(other);
    expect(catalog.checkIncoming(plain)).toBe(plain);
  });

  it('catalog - describeIssues names each path like the JSON checks do, and shortens long lists', () => {
    expect(
      describeIssues([
        { message: 'expected string', path: ['items', 0, { key: 'sku' }] },
        { message: 'required', path: ['odd key'] },
        { message: 'bad root' },
      ]),
    ).toBe('data.items[0].sku: expected string; data["odd key"]: required; data: bad root');
    const many = Array.from({ length: 12 }, (_, i) => ({ message: 'x', path: [i] }));
    expect(describeIssues(many)).toMatch(/data\[9\]: x; \(\+2 more\)$/);
  });
});

describe('catalog bus (memory)', () => {
  it('catalog - publish refuses data failing the schema with an EventValidationError listing the issues; nothing is sent', async () => {
    const { bus, view, queue } = await connectCatalogBus([OrderCreated]);
    const settlements = collectSettlements(bus);
    bus.handle('order.*', () => undefined);
    await bus.ready();

    const error = await expectRxError(
      bus.publish(OrderCreated.create({ order_id: 'A1', total: -5 })),
      EventValidationError,
      ErrorCode.INVALID_DATA,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.routingKey).toBe('order.created');
    expect(error.version).toBe(1);
    expect(error.issues).toEqual([expect.objectContaining({ path: ['total'] })]);
    expect(error.message).toMatch(/^order\.created version 1: data does not match the schema: data\.total: /);

    // Types stop data of the wrong shape; a JavaScript caller meets the schema.
    const untyped = createEvent({ domain: 'order', action: 'created', data: { order_id: 7 } });
    const both = await expectRxError(bus.publish(untyped as never), EventValidationError, ErrorCode.INVALID_DATA);
    expect(both.issues.map((issue) => issue.path)).toEqual([['order_id'], ['total']]);

    expect(bus.stats().published).toBe(0);
    expect(await view.depth(queue)).toBe(0);
    await bus.publish(OrderCreated.create({ order_id: 'A1', total: 5 }));
    await waitForCount(settlements, 1, 'settlements');
    expect(settlements[0]?.outcome.kind).toBe('ack');
  });

  it('catalog - publish refuses an event of another version than the catalog has', async () => {
    const { bus } = await connectCatalogBus([OrderPaid]);
    const error = await expectRxError(
      bus.publish(OrderPaidV1.create({ order_id: 'A1', amount: 5 }) as never),
      ConfigError,
      ErrorCode.INVALID_EVENT,
    );
    expect(error.message).toMatch(/order\.paid is version 2 in this bus's catalog, but the event is version 1/);
  });

  it('catalog - publishes not awaited go out in call order, validated or not', async () => {
    const Plain = defineEvent('audit', 'logged');
    const { bus } = await connectCatalogBus([OrderCreated, Plain]);
    const settlements = collectSettlements(bus);
    bus.handle('*', () => undefined);
    await bus.ready();

    const events = [
      OrderCreated.create({ order_id: 'A1', total: 1 }),
      Plain.create('one'),
      createEvent({ domain: 'invoice', action: 'sent', data: 2 }),
      OrderCreated.create({ order_id: 'A2', total: 3 }),
    ];
    await Promise.all(events.map((event) => bus.publish(event as never)));
    await waitForCount(settlements, 4, 'settlements');
    expect(settlements.map((s) => s.event?.id)).toEqual(events.map((e) => e.id));
  });

  it('catalog - a schema that throws is reported as INVALID_DATA on publish, not as a crash', async () => {
    const Broken = defineEvent('stock', 'counted', {
      schema: {
        '~standard': {
          version: 1,
          vendor: 'test',
          validate: () => {
            throw new Error('schema bug');
          },
        },
      },
    });
    const { bus } = await connectCatalogBus([Broken]);
    const error = await expectRxError(bus.publish(Broken.create(null)), ConfigError, ErrorCode.INVALID_DATA);
    expect(error.message).toBe('stock.counted: the schema threw: schema bug');
    expect((error.cause as Error).message).toBe('schema bug');
  });

  it('catalog - publish awaits a schema that validates asynchronously', async () => {
    const Reserved = defineEvent('stock', 'reserved', {
      schema: z.object({ sku: z.string() }).refine(async (data) => data.sku !== 'gone', { message: 'sku is discontinued' }),
    });
    const { bus } = await connectCatalogBus([Reserved]);
    await bus.publish(Reserved.create({ sku: 'A' }));
    const error = await expectRxError(bus.publish(Reserved.create({ sku: 'gone' })), EventValidationError, ErrorCode.INVALID_DATA);
    expect(error.message).toContain('sku is discontinued');
  });

  it('catalog - an invalid delivery is dead-lettered with the issues in rx-pubsub-error; the next one is handled', async () => {
    const { bus, view, exchange, queue } = await connectCatalogBus([OrderCreated]);
    const settlements = collectSettlements(bus);
    const handled: Event[] = [];
    bus.handle('order.created', (event) => void handled.push(event));
    await bus.ready();

    const bad = wireOf(createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1', total: 'ten' } }));
    await view.publish(exchange, bad.routingKey, bad.body, bad.properties);
    await bus.publish(OrderCreated.create({ order_id: 'A2', total: 10 }));
    await waitForCount(settlements, 2, 'settlements');
    await waitForDepth(view, `${queue}.dlq`, 1);

    // Settlements come in the order they finish: the dead-letter waits for its confirm.
    expect(settlements.map((s) => s.outcome.kind).sort()).toEqual(['ack', 'dead-letter']);
    expect(handled.map((e) => e.data)).toEqual([{ order_id: 'A2', total: 10 }]);
    const deadLettered = settlements.find((s) => s.outcome.kind === 'dead-letter')?.outcome;
    const failure = deadLettered?.kind === 'dead-letter' ? deadLettered.failures[0] : undefined;
    expect(failure?.error).toBeInstanceOf(DeliveryError);
    expect((failure?.error as DeliveryError).cause).toBeInstanceOf(EventValidationError);
    const [letter] = await view.take(`${queue}.dlq`);
    expect(letter?.body.equals(bad.body)).toBe(true);
    expect(String(letter?.properties.headers?.[DeadLetterHeader.ERROR])).toMatch(
      /^order\.created version 1: data does not match the schema: data\.total: .*expected number/,
    );
  });

  it('catalog - a version 1 message is upcast and handled as version 2, by handlers and streams alike', async () => {
    const { bus, view, exchange } = await connectCatalogBus([OrderPaid]);
    const settlements = collectSettlements(bus);
    const handled: Event[] = [];
    const streamed: Event[] = [];
    bus.handle('order.paid', (event) => void handled.push(event));
    const subscription = bus.on$('order.*').subscribe((event) => streamed.push(event));
    teardown(() => subscription.unsubscribe());
    await bus.ready();

    const v1 = OrderPaidV1.create({ order_id: 'A1', amount: 5 });
    const wire = wireOf(v1);
    await view.publish(exchange, wire.routingKey, wire.body, wire.properties);
    await waitForCount(settlements, 1, 'settlements');

    const expected = { ...v1, version: 2, data: { order_id: 'A1', amount: { value: 5, currency: 'EUR' } } };
    expect(settlements[0]?.outcome.kind).toBe('ack');
    expect(handled).toEqual([expected]);
    expect(streamed).toEqual([expected]);
    expect(settlements[0]?.event).toEqual(expected);
  });

  it('catalog - a message of a future version is dead-lettered with a clear reason', async () => {
    const { bus, view, exchange, queue } = await connectCatalogBus([OrderPaid]);
    const settlements = collectSettlements(bus);
    const handled: Event[] = [];
    bus.handle('order.paid', (event) => void handled.push(event));
    await bus.ready();

    const v3 = wireOf(createEvent({ domain: 'order', action: 'paid', version: 3, data: { order_id: 'A1', amount: { value: 5 } } }));
    await view.publish(exchange, v3.routingKey, v3.body, v3.properties);
    await waitForCount(settlements, 1, 'settlements');
    await waitForDepth(view, `${queue}.dlq`, 1);

    expect(handled).toEqual([]);
    const [letter] = await view.take(`${queue}.dlq`);
    expect(String(letter?.properties.headers?.[DeadLetterHeader.ERROR])).toBe(
      'order.paid version 3 is newer than this consumer knows (version 2): deploy a consumer that defines version 3, then move the message back from the dead-letter queue',
    );
  });

  it('catalog - handlers see the schema output: defaults filled, unknown keys stripped, frozen', async () => {
    const { bus, view, exchange } = await connectCatalogBus([UserRegistered]);
    const settlements = collectSettlements(bus);
    const handled: Event[] = [];
    bus.handle('user.registered', (event) => void handled.push(event));
    await bus.ready();

    const wire = wireOf(createEvent({ domain: 'user', action: 'registered', data: { user_id: 'U1', email: 'a@example.com', extra: 1 } }));
    await view.publish(exchange, wire.routingKey, wire.body, wire.properties);
    await waitForCount(settlements, 1, 'settlements');

    expect(handled[0]?.data).toEqual({ user_id: 'U1', email: 'a@example.com', plan: 'free' });
    expect(Object.isFrozen(handled[0]?.data)).toBe(true);
  });

  it('catalog - events outside the catalog reach no handler and no stream: acked and counted unhandled', async () => {
    const { bus } = await connectCatalogBus([OrderCreated]);
    const settlements = collectSettlements(bus);
    const handled: Event[] = [];
    const streamed: Event[] = [];
    // The types know only order.created; `*` also binds every other type, which the bus must not hand over untyped.
    bus.handle('*', (event) => void handled.push(event));
    const stream = bus.on$('*').subscribe((event) => streamed.push(event));
    teardown(() => stream.unsubscribe());
    await bus.ready();

    const other = createEvent({ domain: 'invoice', action: 'sent', data: { anything: ['goes'] } });
    await bus.publish(other as never);
    const known = OrderCreated.create({ order_id: 'A1', total: 5 });
    await bus.publish(known);
    await waitForCount(settlements, 2, 'settlements');
    expect(settlements.map((s) => [s.event?.domain, s.outcome.kind])).toEqual([
      ['invoice', 'unhandled'],
      ['order', 'ack'],
    ]);
    expect(handled.map((e) => e.id)).toEqual([known.id]);
    expect(streamed.map((e) => e.id)).toEqual([known.id]);
    expect(bus.stats()).toMatchObject({ unhandled: 1, acked: 1, deadLettered: 0 });
  });

  it('catalog - a schema answering deliveries with a Promise dead-letters them with a reason saying so', async () => {
    const Reserved = defineEvent('stock', 'reserved', {
      schema: z.object({ sku: z.string() }).refine(async () => true),
    });
    const { bus, view, queue } = await connectCatalogBus([Reserved]);
    const settlements = collectSettlements(bus);
    bus.handle('stock.*', () => undefined);
    await bus.ready();

    await bus.publish(Reserved.create({ sku: 'A' }));
    await waitForCount(settlements, 1, 'settlements');
    await waitForDepth(view, `${queue}.dlq`, 1);
    const [letter] = await view.take(`${queue}.dlq`);
    expect(String(letter?.properties.headers?.[DeadLetterHeader.ERROR])).toMatch(
      /^stock\.reserved: the schema validates asynchronously; deliveries are checked synchronously/,
    );
  });

  it('catalog - a bus without events checks nothing beyond the event rules', async () => {
    const url = `memory://${uniqueName('cat')}`;
    const { exchange, queue } = names('cat');
    registerCleanup(url, exchange, queue);
    const bus = await EventBus.connect({ url, exchange, queue });
    teardown(() => bus.close());
    await expect(bus.publish(OrderCreated.create({ order_id: 'A1', total: -5 }))).resolves.toBeUndefined();
  });
});
