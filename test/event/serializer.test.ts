import { describe, expect, it } from 'vitest';
import { DeliveryError, ErrorCode, isRxPubsubError } from '../../src/errors.js';
import { createEvent } from '../../src/event/event.js';
import { decodeEvent, encodeEvent, encodeEventInProcess, JSON_CONTENT_TYPE, type WireInfo } from '../../src/event/serializer.js';

const EVENT = createEvent({
  domain: 'order',
  action: 'created',
  data: { order_id: 'A1', items: [{ sku: 'X', qty: 2 }], note: 'café ☕' },
  correlationId: 'corr-1',
  metadata: { tenant: 'acme' },
});
const WIRE: WireInfo = { routingKey: 'order.created', contentType: JSON_CONTENT_TYPE };

/** A body as another AMQP client would publish it. */
function bodyOf(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** The DeliveryError decodeEvent throws; fails the test when it decodes. */
function refusal(body: Buffer, info: WireInfo = WIRE): DeliveryError {
  try {
    decodeEvent(body, info);
  } catch (error) {
    expect(error).toBeInstanceOf(DeliveryError);
    expect(isRxPubsubError(error, ErrorCode.BAD_MESSAGE)).toBe(true);
    return error as DeliveryError;
  }
  throw new Error('expected decodeEvent to refuse the body');
}

describe('serializer', () => {
  it('serializer - the body is the event as UTF-8 JSON', () => {
    expect(JSON.parse(encodeEvent(EVENT).toString('utf8'))).toStrictEqual({ ...EVENT });
  });

  it('serializer - decode of a copy of encode(event) gives an equal event, frozen', () => {
    const decoded = decodeEvent(Buffer.from(encodeEvent(EVENT)), WIRE);
    expect(decoded).toStrictEqual(EVENT);
    expect(decoded).not.toBe(EVENT);
    expect(Object.isFrozen(decoded)).toBe(true);
    expect(Object.isFrozen(decoded.data)).toBe(true);
  });

  it('serializer - decode of the very body encodeEventInProcess made (the in-memory broker) is the event itself: serialized once', () => {
    const body = encodeEventInProcess(EVENT);
    expect(decodeEvent(body, WIRE)).toBe(EVENT);
    // A body encoded for the network is parsed on arrival, even in the same process.
    expect(decodeEvent(encodeEvent(EVENT), WIRE)).not.toBe(EVENT);
    // So is a copy of the bytes (what another client would hold).
    expect(decodeEvent(Buffer.from(body), WIRE)).not.toBe(EVENT);
    expect(decodeEvent(Buffer.from(body), WIRE)).toStrictEqual(EVENT);
    // The routing key is still checked.
    expect(() => decodeEvent(body, { ...WIRE, routingKey: 'user.created' })).toThrow(/arrived with routing key/);
  });

  it('serializer - decodes a minimal event published by another client', () => {
    const body = bodyOf({ id: 'x-1', domain: 'user', action: 'registered', data: {}, version: 1, timestamp: '2024-01-01T00:00:00Z' });
    expect(decodeEvent(body, { routingKey: 'user.registered', contentType: 'application/json' })).toStrictEqual({
      id: 'x-1',
      domain: 'user',
      action: 'registered',
      data: {},
      version: 1,
      timestamp: '2024-01-01T00:00:00Z',
    });
  });

  it.each(['application/json; charset=utf-8', 'Application/JSON', ' application/json ;charset=UTF-8'])(
    'serializer - accepts content type %j',
    (contentType) => {
      expect(decodeEvent(encodeEvent(EVENT), { routingKey: 'order.created', contentType }).id).toBe(EVENT.id);
    },
  );

  it('serializer - accepts a message without a content type', () => {
    expect(decodeEvent(encodeEvent(EVENT), { routingKey: 'order.created' }).id).toBe(EVENT.id);
    expect(decodeEvent(encodeEvent(EVENT), { routingKey: 'order.created', contentType: undefined }).id).toBe(EVENT.id);
  });

  describe('serializer - refusals are DeliveryError BAD_MESSAGE with a reason', () => {
    it('serializer - refuses a body that is not JSON, with the parser error as cause', () => {
      const error = refusal(Buffer.from('order created!'));
      expect(error.message).toMatch(/^body is not JSON \(/);
      expect(error.cause).toBeInstanceOf(SyntaxError);
    });

    it('serializer - refuses an empty body', () => {
      expect(refusal(Buffer.alloc(0)).message).toMatch(/^body is not JSON/);
    });

    it.each([
      ['an array', [1, 2]],
      ['a string', 'order.created'],
      ['null', null],
      ['an empty object', {}],
    ])('serializer - refuses JSON that is %s, not an event', (_label, value) => {
      const error = refusal(bodyOf(value));
      expect(error.message).toMatch(/^body is not an event: Invalid event: /);
      expect(isRxPubsubError(error.cause, ErrorCode.INVALID_EVENT)).toBe(true);
    });

    it('serializer - refuses an event missing a field, naming it', () => {
      const { timestamp: _timestamp, ...rest } = EVENT;
      expect(refusal(bodyOf(rest)).message).toContain('timestamp must be an ISO-8601 string');
    });

    it('serializer - refuses an unknown field, naming it', () => {
      const error = refusal(bodyOf({ ...EVENT, priority: 'high' }));
      expect(error.message).toContain('unknown field "priority"');
    });

    it('serializer - refuses a field of the wrong type', () => {
      expect(refusal(bodyOf({ ...EVENT, version: '1' })).message).toContain('version must be an integer >= 1');
    });

    it.each(['text/plain', 'application/xml', 'application/jsonx'])('serializer - refuses content type %j, naming it', (contentType) => {
      const error = refusal(encodeEvent(EVENT), { routingKey: 'order.created', contentType });
      expect(error.message).toBe(`content type "${contentType}" is not application/json`);
    });

    it('serializer - refuses an event whose domain.action differs from the routing key', () => {
      const error = refusal(encodeEvent(EVENT), { routingKey: 'order.paid', contentType: JSON_CONTENT_TYPE });
      expect(error.message).toBe('event order.created arrived with routing key "order.paid"');
    });

    it('serializer - a refusal is not retriable', () => {
      expect(refusal(Buffer.from('{')).retriable).toBe(false);
    });
  });

  it('serializer - a "__proto__" key inside data survives the round trip as an own property', () => {
    const body = Buffer.from(encodeEvent(EVENT).toString('utf8').replace('"order_id":"A1"', '"__proto__":{"x":1}'));
    expect(body.toString('utf8')).toContain('"__proto__":{"x":1}');
    const decoded = decodeEvent(body, WIRE);
    expect(Object.getPrototypeOf(decoded.data)).toBe(Object.prototype);
    expect(Object.keys(decoded.data as object)).toContain('__proto__');
  });
});
