import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  ConnectionError,
  DeliveryError,
  ErrorCode,
  isRxPubsubError,
  messageOf,
  PublishError,
  RxPubsubError,
} from '../../src/errors.js';

describe('errors', () => {
  it('errors - the code table maps each code to itself', () => {
    for (const [key, value] of Object.entries(ErrorCode)) expect(value).toBe(key);
    expect(Object.keys(ErrorCode)).toEqual(
      expect.arrayContaining(['INVALID_OPTIONS', 'INVALID_EVENT', 'INVALID_DATA', 'INVALID_PATTERN', 'CLOSED', 'PUBLISH_REFUSED', 'PUBLISH_TIMEOUT', 'BAD_MESSAGE', 'HANDLER_FAILED', 'HANDLER_TIMEOUT']),
    );
  });

  it.each([
    ['ConfigError', ConfigError, ErrorCode.INVALID_OPTIONS],
    ['ConnectionError', ConnectionError, ErrorCode.CONNECTION_FAILED],
    ['PublishError', PublishError, ErrorCode.PUBLISH_TIMEOUT],
    ['DeliveryError', DeliveryError, ErrorCode.HANDLER_TIMEOUT],
  ] as const)('errors - %s carries name, code, message, cause and retriable', (name, ErrorClass, code) => {
    const cause = new Error('socket hang up');
    const error = new ErrorClass(code, 'it went wrong', { cause, retriable: true });
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toBeInstanceOf(RxPubsubError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error.message).toBe('it went wrong');
    expect(error.cause).toBe(cause);
    expect(error.retriable).toBe(true);
    expect(String(error)).toBe(`${name}: it went wrong`);
    expect(error.stack).toContain('it went wrong');
  });

  it('errors - retriable defaults to false and cause to absent', () => {
    const error = new PublishError(ErrorCode.PUBLISH_REFUSED, 'refused');
    expect(error.retriable).toBe(false);
    expect('cause' in error).toBe(false);
  });

  it('errors - a non-Error cause is kept as given', () => {
    expect(new DeliveryError(ErrorCode.HANDLER_FAILED, 'failed', { cause: 'plain string' }).cause).toBe('plain string');
  });

  it('errors - the base class is named RxPubsubError', () => {
    expect(new RxPubsubError(ErrorCode.CLOSED, 'closed').name).toBe('RxPubsubError');
  });

  describe('isRxPubsubError', () => {
    const config = new ConfigError(ErrorCode.INVALID_PATTERN, 'bad pattern');

    it('isRxPubsubError - without a code, true for every rx-pubsub error', () => {
      expect(isRxPubsubError(config)).toBe(true);
      expect(isRxPubsubError(new RxPubsubError(ErrorCode.CLOSED, 'closed'))).toBe(true);
      expect(isRxPubsubError(new DeliveryError(ErrorCode.BAD_MESSAGE, 'bad'))).toBe(true);
    });

    it('isRxPubsubError - with a code, true only for that code', () => {
      expect(isRxPubsubError(config, ErrorCode.INVALID_PATTERN)).toBe(true);
      expect(isRxPubsubError(config, ErrorCode.INVALID_OPTIONS)).toBe(false);
    });

    it.each([
      ['a plain Error', new Error('x')],
      ['a TypeError', new TypeError('x')],
      ['an error-like object with a code', { name: 'ConfigError', code: 'INVALID_PATTERN', message: 'x' }],
      ['a string', 'INVALID_PATTERN'],
      ['null', null],
      ['undefined', undefined],
    ])('isRxPubsubError - false for %s', (_label, value) => {
      expect(isRxPubsubError(value)).toBe(false);
      expect(isRxPubsubError(value, ErrorCode.INVALID_PATTERN)).toBe(false);
    });
  });

  describe('messageOf', () => {
    it.each([
      ['an Error', new Error('boom'), 'boom'],
      ['an rx-pubsub error', new PublishError(ErrorCode.PUBLISH_TIMEOUT, 'no confirm'), 'no confirm'],
      ['a string', 'plain', 'plain'],
      ['an object', { status: 500 }, '{"status":500}'],
      ['a number', 42, '42'],
      ['undefined', undefined, 'undefined'],
      ['a symbol', Symbol('s'), 'Symbol(s)'],
    ])('messageOf - %s', (_label, value, expected) => {
      expect(messageOf(value)).toBe(expected);
    });

    it('messageOf - a cyclic object falls back to String()', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(messageOf(cyclic)).toBe('[object Object]');
    });

    it('messageOf - a BigInt does not throw', () => {
      expect(messageOf(10n)).toBe('10');
    });
  });
});
