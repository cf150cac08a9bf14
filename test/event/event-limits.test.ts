import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode, isRxPubsubError } from '../../src/errors.js';
import { defineEvent } from '../../src/event/define-event.js';
import { createEvent, type EventInit, toEvent } from '../../src/event/event.js';
import { EVENT_LIMITS } from '../../src/event/event-limits.js';
import { describeIssues } from '../../src/event/event-validation-error.js';
import { MAX_DATA_DEPTH } from '../../src/event/json.js';
import { nested, revokedProxy, throwingGetter, trappedProxy } from '../support/hostile-values.js';

/** The error `fn` throws; fails the test when it returns. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** Asserts `fn` throws a ConfigError of `code` whose message contains every part. */
function expectRefused(fn: () => unknown, code: ErrorCode, ...parts: string[]): void {
  const error = thrownBy(fn);
  expect(error).toBeInstanceOf(ConfigError);
  expect(isRxPubsubError(error, code)).toBe(true);
  for (const part of parts) expect((error as Error).message).toContain(part);
}

const BASE = { domain: 'order', action: 'created', data: {} } as const;
const make = (fields: Record<string, unknown>) => () => createEvent({ ...BASE, ...fields } as EventInit);
const wire = (fields: Record<string, unknown>) => () => toEvent({ ...createEvent(BASE), ...fields });

describe('event limits', () => {
  it.each(['1969-12-31T23:59:59Z', '1970-01-01T00:30:00+01:00', '0001-01-01T00:00:00.000Z'])(
    'event limits - a timestamp before 1970 is refused, naming the limit (%s)',
    (timestamp) => {
      expectRefused(make({ timestamp }), ErrorCode.INVALID_EVENT, 'timestamp', EVENT_LIMITS.minTimestamp);
      expectRefused(wire({ timestamp }), ErrorCode.INVALID_EVENT, 'timestamp', EVENT_LIMITS.minTimestamp);
    },
  );

  it('event limits - a timestamp past year 9999 or unparsable is refused', () => {
    expectRefused(make({ timestamp: '9999-12-31T23:30:00-01:00' }), ErrorCode.INVALID_EVENT, 'timestamp', EVENT_LIMITS.maxTimestamp);
    expectRefused(make({ timestamp: '+010000-01-01T00:00:00.000Z' }), ErrorCode.INVALID_EVENT, 'timestamp');
    expectRefused(make({ timestamp: '2024-01-01T00:00:00.1234567890Z' }), ErrorCode.INVALID_EVENT, 'timestamp');
  });

  it('event limits - the edges of the timestamp range are accepted', () => {
    expect(createEvent({ ...BASE, timestamp: '1970-01-01T00:00:00Z' }).timestamp).toBe('1970-01-01T00:00:00Z');
    expect(createEvent({ ...BASE, timestamp: EVENT_LIMITS.maxTimestamp }).timestamp).toBe(EVENT_LIMITS.maxTimestamp);
  });

  it.each(['id', 'correlationId', 'causationId'])('event limits - %s over 255 UTF-8 bytes is refused, counting bytes not characters', (field) => {
    expect(createEvent({ ...BASE, [field]: 'x'.repeat(255) })[field as 'id']).toHaveLength(255);
    expectRefused(make({ [field]: 'x'.repeat(256) }), ErrorCode.INVALID_EVENT, field, '256 bytes', String(EVENT_LIMITS.maxIdBytes));
    // 128 characters, 256 bytes.
    expectRefused(make({ [field]: 'é'.repeat(128) }), ErrorCode.INVALID_EVENT, field, '256 bytes');
    expectRefused(wire({ [field]: 'é'.repeat(128) }), ErrorCode.INVALID_EVENT, field, '256 bytes');
  });

  it('event limits - a routing key over 255 bytes is refused in createEvent, toEvent and defineEvent', () => {
    const domain = 'd'.repeat(200);
    const action = 'a'.repeat(55); // 200 + 1 + 55 = 256
    expectRefused(make({ domain, action }), ErrorCode.INVALID_EVENT, 'routing key', '256 bytes', String(EVENT_LIMITS.maxRoutingKeyBytes));
    expectRefused(wire({ domain, action }), ErrorCode.INVALID_EVENT, 'routing key');
    expectRefused(() => defineEvent(domain, action), ErrorCode.INVALID_EVENT, 'routing key');
    expect(defineEvent(domain, action.slice(1)).routingKey).toHaveLength(255);
  });

  it('event limits - metadata keys and values are bounded', () => {
    const many = Object.fromEntries(Array.from({ length: EVENT_LIMITS.maxMetadataEntries + 1 }, (_, i) => [`k${i}`, 'v']));
    expectRefused(make({ metadata: many }), ErrorCode.INVALID_EVENT, 'metadata', String(EVENT_LIMITS.maxMetadataEntries));
    expectRefused(make({ metadata: { '': 'v' } }), ErrorCode.INVALID_EVENT, 'metadata key');
    expectRefused(make({ metadata: { ['k'.repeat(256)]: 'v' } }), ErrorCode.INVALID_EVENT, 'metadata key');
    expectRefused(make({ metadata: { k: 'v'.repeat(4097) } }), ErrorCode.INVALID_EVENT, 'metadata.k', '4097 bytes');
    expectRefused(make({ metadata: new Map([['k', 'v']]) }), ErrorCode.INVALID_EVENT, 'metadata must be a plain object');
  });

  it('event limits - a "__proto__" metadata key from the wire stays a key', () => {
    const event = toEvent(JSON.parse(JSON.stringify({ ...createEvent(BASE) }).replace(/}$/, ',"metadata":{"__proto__":"x"}}')), true);
    expect(Object.getOwnPropertyDescriptor(event.metadata, '__proto__')?.value).toBe('x');
  });
});

describe('event hostile input', () => {
  it.each([
    ['a revoked Proxy', () => revokedProxy()],
    ['a Proxy whose traps throw', () => trappedProxy()],
    ['an object whose data getter throws', () => ({ ...BASE, ...{}, get data() { throw new Error('boom'); } })],
  ])('event hostile input - createEvent and toEvent refuse %s as the event with INVALID_EVENT', (_name, make) => {
    expectRefused(() => createEvent(make() as EventInit), ErrorCode.INVALID_EVENT);
    expectRefused(() => toEvent(make()), ErrorCode.INVALID_EVENT);
  });

  it('event hostile input - a throwing getter on the init names the field', () => {
    const init = { ...BASE, get correlationId(): string { throw new TypeError('nope'); } };
    expectRefused(() => createEvent(init), ErrorCode.INVALID_EVENT, 'correlationId cannot be read', 'nope');
  });

  it.each([
    ['a getter that throws deep inside', { items: [{ at: throwingGetter('x') }] }, 'data.items[0].at.x'],
    ['a Proxy whose traps throw', { items: [trappedProxy()] }, 'data.items[0]'],
    ['a Proxy of an array whose traps throw', { items: trappedProxy([]) }, 'data.items'],
    ['a revoked Proxy', { items: revokedProxy() }, 'data.items'],
    ['an array whose length getter throws', { items: new Proxy([], { get: (t, k) => (k === 'length' ? (() => { throw new RangeError('len'); })() : Reflect.get(t, k)) }) }, 'data.items'],
  ])('event hostile input - data holding %s is INVALID_DATA naming the path', (_name, data, path) => {
    expectRefused(() => createEvent({ ...BASE, data }), ErrorCode.INVALID_DATA, path);
  });

  it('event hostile input - data nested 100,000 deep is INVALID_DATA naming MAX_DATA_DEPTH, from createEvent and from the wire', () => {
    expectRefused(() => createEvent({ ...BASE, data: nested(100_000) }), ErrorCode.INVALID_DATA, `deeper than ${MAX_DATA_DEPTH}`, 'data[0][0]');
    const json = JSON.stringify({ ...createEvent(BASE), data: 0 }).replace('"data":0', `"data":${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expectRefused(() => toEvent(JSON.parse(json), true), ErrorCode.INVALID_DATA, `deeper than ${MAX_DATA_DEPTH}`);
  });

  it('event hostile input - data exactly MAX_DATA_DEPTH deep is accepted, one more level is not', () => {
    expect(createEvent({ ...BASE, data: nested(MAX_DATA_DEPTH) }).data).toBeDefined();
    expectRefused(() => createEvent({ ...BASE, data: nested(MAX_DATA_DEPTH + 1) }), ErrorCode.INVALID_DATA);
    const json = (depth: number) => JSON.parse(JSON.stringify({ ...createEvent(BASE), data: nested(depth) }));
    expect(toEvent(json(MAX_DATA_DEPTH), true).data).toBeDefined();
    expectRefused(() => toEvent(json(MAX_DATA_DEPTH + 1), true), ErrorCode.INVALID_DATA);
  });

  it('event hostile input - a version or timestamp that cannot be printed is still a ConfigError', () => {
    const unprintable = { toString: () => { throw new Error('no'); }, toJSON: () => { throw new Error('no'); } };
    expectRefused(make({ version: unprintable }), ErrorCode.INVALID_EVENT, 'version');
    expectRefused(make({ timestamp: unprintable }), ErrorCode.INVALID_EVENT, 'timestamp');
    expectRefused(make({ id: Object.create(null) as object }), ErrorCode.INVALID_EVENT, 'id');
  });

  it('event hostile input - defineEvent(...).create refuses hostile fields and defineEvent hostile options with ConfigErrors', () => {
    const Created = defineEvent('order', 'created');
    expectRefused(() => Created.create({}, revokedProxy()), ErrorCode.INVALID_EVENT, 'fields');
    expectRefused(() => Created.create({}, throwingGetter('id')), ErrorCode.INVALID_EVENT, 'fields');
    expectRefused(() => Created.create(nested(100_000) as never), ErrorCode.INVALID_DATA);
    expectRefused(() => defineEvent('order', 'created', revokedProxy()), ErrorCode.INVALID_ARGUMENT);
    expectRefused(() => defineEvent('order', 'created', throwingGetter('version')), ErrorCode.INVALID_ARGUMENT);
  });

  it('event hostile input - a definition\'s is() answers false for a revoked Proxy or throwing getters instead of throwing', () => {
    const Created = defineEvent('order', 'created');
    expect(Created.is(revokedProxy() as never)).toBe(false);
    expect(Created.is(throwingGetter('domain') as never)).toBe(false);
    expect(Created.is(createEvent(BASE))).toBe(true);
  });

  it('event hostile input - schema issues with a message or key that is not a string are still described', () => {
    const text = describeIssues([{ message: Symbol('m') as never, path: [Symbol('k'), { key: 1n as never }] }]);
    expect(text).toBe('data[Symbol(k)][1n]: Symbol(m)');
  });
});
