/**
 * bus.publish(event, options): headers, expiration, priority, mandatory,
 * checked at the call with a ConfigError naming the option (hostile values
 * included), before anything is sent. Offline, on memory://; the same options
 * through RabbitMQ are in test/broker/publish-options.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, createEvent, ErrorCode, type EventBus, PublishError, type PublishOptions, RxPubsubError } from '../../src/index.js';
import { memoryBroker, testBus } from '../../src/testing/index.js';
import { checkedPublishOptions } from '../../src/transport/publish-options.js';
import { HOSTILE, nested, revokedProxy, throwingGetter, trappedProxy } from '../support/hostile-values.js';
import { orderEvent, teardown } from '../support/rig.js';

async function publishOnly(): Promise<EventBus> {
  const bus = await testBus({ queue: 'orders' });
  teardown(() => bus.close());
  memoryBroker(bus).bind('events', 'orders', 'order.*');
  return bus;
}

/** What publish rejects with for `options`; the test fails if it resolves or throws synchronously. */
async function refusal(bus: EventBus, options: unknown): Promise<RxPubsubError> {
  let result: Promise<void> | undefined;
  expect(() => (result = bus.publish(orderEvent(), options as PublishOptions))).not.toThrow();
  const error = await result!.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConfigError);
  return error as RxPubsubError;
}

const cyclic = (): object => {
  const table: Record<string, unknown> = {};
  table.self = table;
  return { headers: table };
};

const REFUSED: readonly (readonly [what: string, options: () => unknown, code: string, names: string])[] = [
  ['options that are not an object', () => 'headers', ErrorCode.INVALID_ARGUMENT, 'options must be an object'],
  ['options that are an array', () => [], ErrorCode.INVALID_ARGUMENT, 'options must be an object'],
  ['an unknown option', () => ({ persistent: false }), ErrorCode.INVALID_OPTIONS, 'option persistent is not a publish option'],
  ['headers that are not an object', () => ({ headers: 'x' }), ErrorCode.INVALID_OPTIONS, 'option headers must be an object'],
  ['headers that are an array', () => ({ headers: [1] }), ErrorCode.INVALID_OPTIONS, 'option headers must be an object'],
  ['headers that are a Map', () => ({ headers: new Map() }), ErrorCode.INVALID_OPTIONS, 'option headers must be an object'],
  ['our own header name', () => ({ headers: { 'rx-pubsub-attempts': 1 } }), ErrorCode.INVALID_OPTIONS, 'headers.rx-pubsub-attempts is reserved'],
  ['our own header name, upper-case', () => ({ headers: { 'RX-PUBSUB-PENDING': '[]' } }), ErrorCode.INVALID_OPTIONS, 'headers.RX-PUBSUB-PENDING is reserved'],
  ["the broker's x-death", () => ({ headers: { 'x-death': [] } }), ErrorCode.INVALID_OPTIONS, 'headers.x-death is reserved'],
  ["a plugin's X-Delay", () => ({ headers: { 'X-Delay': 5 } }), ErrorCode.INVALID_OPTIONS, 'headers.X-Delay is reserved'],
  ['an empty header name', () => ({ headers: { '': 'v' } }), ErrorCode.INVALID_OPTIONS, 'empty header name'],
  ['a header name over 255 bytes', () => ({ headers: { ['n'.repeat(256)]: 1 } }), ErrorCode.INVALID_OPTIONS, "over AMQP's limit of 255"],
  ['a NaN header', () => ({ headers: { n: NaN } }), ErrorCode.INVALID_OPTIONS, 'headers.n is NaN'],
  ['an Infinity nested in a header', () => ({ headers: { t: { deep: [1, Infinity] } } }), ErrorCode.INVALID_OPTIONS, 'headers.t.deep[1] is Infinity'],
  ['a BigInt header', () => ({ headers: { n: 1n } }), ErrorCode.INVALID_OPTIONS, 'headers.n must be a string, number, boolean, null, array or plain object'],
  ['a Date header', () => ({ headers: { at: new Date() } }), ErrorCode.INVALID_OPTIONS, 'headers.at must be a string, number'],
  ['a Buffer header', () => ({ headers: { b: Buffer.from('x') } }), ErrorCode.INVALID_OPTIONS, 'headers.b must be a string, number'],
  ['a function header', () => ({ headers: { f: () => 1 } }), ErrorCode.INVALID_OPTIONS, 'headers.f must be a string, number'],
  ["amqplib's typed-value escape", () => ({ headers: { t: { '!': 'timestamp', value: 1 } } }), ErrorCode.INVALID_OPTIONS, 'headers.t holds a "!" field'],
  ['headers over 64 KiB', () => ({ headers: { big: 'x'.repeat(70_000) } }), ErrorCode.INVALID_OPTIONS, 'the headers take'],
  ['a cycle in the headers', cyclic, ErrorCode.INVALID_OPTIONS, 'nests deeper than 32 levels (a cycle?)'],
  ['headers nested 100,000 deep', () => ({ headers: { deep: nested(100_000) } }), ErrorCode.INVALID_OPTIONS, 'nests deeper than 32 levels'],
  ['a header getter that throws', () => ({ headers: throwingGetter('x') }), ErrorCode.INVALID_OPTIONS, 'option headers could not be read (boom)'],
  ['headers that are a revoked Proxy', () => ({ headers: revokedProxy() }), ErrorCode.INVALID_OPTIONS, 'option headers could not be read'],
  ['headers that are a Proxy whose traps throw', () => ({ headers: trappedProxy() }), ErrorCode.INVALID_OPTIONS, 'option headers could not be read (boom)'],
  ['options that are a revoked Proxy', () => revokedProxy(), ErrorCode.INVALID_OPTIONS, 'option options could not be read'],
  ['options that are a Proxy whose traps throw', () => trappedProxy(), ErrorCode.INVALID_OPTIONS, 'could not be read (boom)'],
  ['an expiration getter that throws', () => throwingGetter('expiration'), ErrorCode.INVALID_OPTIONS, 'option expiration could not be read (boom)'],
  ['a negative expiration', () => ({ expiration: -1 }), ErrorCode.INVALID_OPTIONS, 'option expiration must be a whole number of milliseconds'],
  ['a fractional expiration', () => ({ expiration: 1.5 }), ErrorCode.INVALID_OPTIONS, 'option expiration must be a whole number'],
  ['an expiration past 2^32-1 ms', () => ({ expiration: 2 ** 32 }), ErrorCode.INVALID_OPTIONS, 'from 0 to 4294967295'],
  ['an expiration as a string', () => ({ expiration: '1000' }), ErrorCode.INVALID_OPTIONS, 'option expiration must be a whole number'],
  ['a priority of 256', () => ({ priority: 256 }), ErrorCode.INVALID_OPTIONS, 'option priority must be an integer from 0 to 255 (got 256)'],
  ['a negative priority', () => ({ priority: -1 }), ErrorCode.INVALID_OPTIONS, 'option priority must be an integer from 0 to 255'],
  ['a fractional priority', () => ({ priority: 2.5 }), ErrorCode.INVALID_OPTIONS, 'option priority must be an integer'],
  ['a mandatory that is not a boolean', () => ({ mandatory: 'yes' }), ErrorCode.INVALID_OPTIONS, 'option mandatory must be true or false'],
];

describe('publish options', () => {
  it.each(REFUSED)('publish options - %s is refused at the call, naming it', async (_what, options, code, names) => {
    const bus = await publishOnly();
    const error = await refusal(bus, options());
    expect(error.code).toBe(code);
    expect(error.message).toContain(names);
    expect(memoryBroker(bus).queueDepth('orders')).toBe(0); // nothing was sent
    expect(bus.stats().published).toBe(0);
  });

  it.each(HOSTILE)('publish options - %s as a header value gives a typed error', async (_name, make) => {
    const bus = await publishOnly();
    await refusal(bus, { headers: { h: make() } });
    await refusal(bus, { headers: make() });
    await refusal(bus, { expiration: make() });
  });

  it('publish options - headers, expiration, priority and mandatory arrive as given, every value kind', async () => {
    const bus = await publishOnly();
    const headers = { s: 'text', n: 42, f: 1.5, neg: -7, big: 2 ** 40, t: true, nil: null, list: ['a', 1, [false]], table: { k: 'v', deep: { x: 1 } }, skipped: undefined };
    await bus.publish(orderEvent(), { headers, expiration: 60_000, priority: 7, mandatory: true });
    const [message] = memoryBroker(bus).peek('orders');
    const { skipped: _skipped, ...sent } = headers;
    expect(message?.properties.headers).toEqual(sent);
    expect(message?.properties.headers).not.toHaveProperty('skipped');
    expect(message?.properties).toMatchObject({ expiration: '60000', priority: 7 });
  });

  it('publish options - the headers are copied at the call: changing the object afterwards changes nothing', async () => {
    const bus = await publishOnly();
    const headers: Record<string, unknown> = { tenant: 'acme', nested: { level: 1 } };
    const sent = bus.publish(orderEvent(), { headers: headers as PublishOptions['headers'] });
    headers.tenant = 'changed';
    (headers.nested as Record<string, unknown>).level = 2;
    await sent;
    expect(memoryBroker(bus).peek('orders')[0]?.properties.headers).toEqual({ tenant: 'acme', nested: { level: 1 } });
  });

  it('publish options - trace context headers (traceparent, tracestate, baggage) are the caller\'s to set', async () => {
    const bus = await publishOnly();
    const trace = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'rojo=00f067aa0ba902b7', baggage: 'userId=alice' };
    await bus.publish(orderEvent(), { headers: trace });
    expect(memoryBroker(bus).peek('orders')[0]?.properties.headers).toEqual(trace);
  });

  it('publish options - mandatory: true rejects an unroutable event although the bus is not mandatory', async () => {
    const bus = await publishOnly();
    const nobody = createEvent({ domain: 'nobody', action: 'listens', data: {} });
    await bus.publish(nobody); // the bus's mandatory: false, the default
    await bus.publish(nobody, { mandatory: false });
    const unroutable = await bus.publish(nobody, { mandatory: true }).then(() => undefined, (e: unknown) => e);
    expect(unroutable).toBeInstanceOf(PublishError);
    expect((unroutable as PublishError).code).toBe(ErrorCode.PUBLISH_UNROUTABLE);
  });

  it('publish options - without options (or with {}) the message carries no headers, expiration or priority', async () => {
    const bus = await publishOnly();
    await bus.publish(orderEvent());
    await bus.publish(orderEvent(), {});
    for (const message of memoryBroker(bus).peek('orders')) {
      expect(message.properties.headers).toBeUndefined();
      expect(message.properties.expiration).toBeUndefined();
      expect(message.properties.priority).toBeUndefined();
    }
  });

  it('publish options - checkedPublishOptions reads each caller value once (a getter cannot change it after the check)', () => {
    let reads = 0;
    const headers = Object.defineProperty({}, 'tenant', { enumerable: true, get: () => (reads++ === 0 ? 'acme' : { '!': 'evil' }) });
    expect(checkedPublishOptions({ headers })?.headers).toEqual({ tenant: 'acme' });
    expect(reads).toBe(1);
  });
});

describe('publish options - expiration on memory://', () => {
  it('publish options - a message whose expiration passed in the queue is dead-lettered (reason expired), without it', async () => {
    const bus = await testBus({ queue: 'orders' });
    teardown(() => bus.close());
    const broker = memoryBroker(bus);
    broker.bind('events', 'orders', 'order.*');
    await bus.publish(orderEvent(), { expiration: 20 });
    await bus.publish(orderEvent('paid'));
    expect(broker.queueDepth('orders')).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(broker.queueDepth('orders')).toBe(1); // the second has no TTL
    const [dead] = broker.peek('orders.dlq');
    expect(dead?.properties.expiration).toBeUndefined(); // it would expire again in Q.dlq
    const [death] = dead?.properties.headers?.['x-death'] as { reason: string; 'original-expiration': string }[];
    expect(death).toMatchObject({ reason: 'expired', 'original-expiration': '20' });
  });

  it('publish options - a message behind a head without TTL waits for it (RabbitMQ expires at the head only)', async () => {
    const bus = await testBus({ queue: 'orders' });
    teardown(() => bus.close());
    const broker = memoryBroker(bus);
    broker.bind('events', 'orders', 'order.*');
    await bus.publish(orderEvent('paid'));
    await bus.publish(orderEvent(), { expiration: 10 });
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(broker.queueDepth('orders')).toBe(2);
  });
});
