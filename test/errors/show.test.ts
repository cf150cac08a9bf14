import { describe, expect, it } from 'vitest';
import { isError, MAX_SHOWN, messageOf, show } from '../../src/errors.js';
import { errorWithThrowingMessage, HOSTILE, revokedProxy } from '../support/hostile-values.js';

describe('show', () => {
  it.each(HOSTILE)('show - describes %s without throwing', (_name, make) => {
    const text = show(make());
    expect(typeof text).toBe('string');
    expect(text.length).toBeLessThanOrEqual(MAX_SHOWN);
  });

  it('show - keeps the readable renderings', () => {
    expect(show('a')).toBe('"a"');
    expect(show(10n)).toBe('10n');
    expect(show({ a: 1 })).toBe('{"a":1}');
    expect(show(Symbol('s'))).toBe('Symbol(s)');
    expect(show(undefined)).toBe('undefined');
  });

  it('show - bounds a long rendering to MAX_SHOWN characters, ending in …', () => {
    const text = show('x'.repeat(10_000));
    expect(text).toHaveLength(MAX_SHOWN);
    expect(text.endsWith('…')).toBe(true);
  });
});

describe('messageOf', () => {
  it.each(HOSTILE)('messageOf - describes %s without throwing', (_name, make) => {
    expect(typeof messageOf(make())).toBe('string');
  });

  it('messageOf - an Error whose message getter throws is named instead', () => {
    expect(messageOf(errorWithThrowingMessage())).toBe('Error whose message cannot be read');
  });
});

describe('isError', () => {
  it('isError - false for a revoked Proxy, where instanceof throws', () => {
    const proxy = revokedProxy();
    expect(() => proxy instanceof Error).toThrow(TypeError);
    expect(isError(proxy)).toBe(false);
    expect(isError(new TypeError('x'))).toBe(true);
  });
});
