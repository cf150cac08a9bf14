import { describe, expect, it, vi } from 'vitest';
import { ConfigError, DeliveryError, ErrorCode, isRxPubsubError } from '../../src/errors.js';
import { createEvent } from '../../src/event/event.js';
import { decodeEvent, encodeEvent, encodeEventInProcess, eventJson, JSON_CONTENT_TYPE, type WireInfo } from '../../src/event/serializer.js';
import { revokedProxy } from '../support/hostile-values.js';

const EVENT = createEvent({ domain: 'order', action: 'created', data: { note: 'café ☕' } });
const WIRE: WireInfo = { routingKey: 'order.created', contentType: JSON_CONTENT_TYPE };

/** The reason decodeEvent refuses with; fails the test when it decodes. */
function reasonFor(body: unknown, info: WireInfo = WIRE): string {
  try {
    decodeEvent(body as Buffer, info);
  } catch (error) {
    expect(error).toBeInstanceOf(DeliveryError);
    expect(isRxPubsubError(error, ErrorCode.BAD_MESSAGE)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected decodeEvent to refuse the body');
}

describe('serializer encoding', () => {
  it('serializer encoding - a body that is not valid UTF-8 is refused, not repaired', () => {
    const json = encodeEvent(EVENT).toString('utf8');
    // A lone 0xFF inside a JSON string: lenient decoding made it U+FFFD and accepted the event.
    const body = Buffer.concat([Buffer.from(json.replace('café', 'caf'), 'utf8')]);
    const at = body.indexOf('caf') + 3;
    const broken = Buffer.concat([body.subarray(0, at), Buffer.from([0xff]), body.subarray(at)]);
    expect(reasonFor(broken)).toContain('not valid UTF-8');
  });

  it('serializer encoding - a body starting with a byte order mark is refused with that reason', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), encodeEvent(EVENT)]);
    expect(reasonFor(body)).toContain('byte order mark');
  });

  it.each(['gzip', 'deflate', 'utf-16', 'latin1'])('serializer encoding - contentEncoding %j is refused as not supported', (contentEncoding) => {
    const reason = reasonFor(encodeEvent(EVENT), { ...WIRE, contentEncoding });
    expect(reason).toContain('content encoding');
    expect(reason).toContain(contentEncoding);
    expect(reason).toContain('not supported');
  });

  it.each([undefined, '', 'utf-8', 'UTF-8', 'utf8', 'Utf8'])('serializer encoding - contentEncoding %j is UTF-8 and accepted', (contentEncoding) => {
    expect(decodeEvent(encodeEvent(EVENT), { ...WIRE, contentEncoding })).toStrictEqual(EVENT);
  });

  it('serializer encoding - the in-process fast path still hands back the very event', () => {
    expect(decodeEvent(encodeEventInProcess(EVENT), { ...WIRE, contentEncoding: 'utf-8' })).toBe(EVENT);
  });

  it('serializer encoding - odd wire info and bodies are BAD_MESSAGE, never a TypeError', () => {
    expect(reasonFor(encodeEvent(EVENT), { ...WIRE, contentType: Symbol('x') as never })).toContain('content type');
    expect(reasonFor(encodeEvent(EVENT), { ...WIRE, contentEncoding: 5 as never })).toContain('content encoding');
    expect(reasonFor(null)).toContain('not bytes');
    expect(reasonFor(revokedProxy())).toContain('cannot be read');
    expect(reasonFor(encodeEvent(EVENT), { routingKey: Symbol('k') as never })).toContain('routing key');
  });

  it('serializer encoding - eventJson turns a stringify failure (an event past V8\'s longest string) into a ConfigError', () => {
    const spy = vi.spyOn(JSON, 'stringify').mockImplementationOnce(() => {
      throw new RangeError('Invalid string length');
    });
    try {
      let error: unknown;
      try {
        eventJson(EVENT);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect(isRxPubsubError(error, ErrorCode.INVALID_DATA)).toBe(true);
      expect((error as Error).message).toContain('too large');
      expect((error as Error).cause).toBeInstanceOf(RangeError);
    } finally {
      spy.mockRestore();
    }
  });
});
