/**
 * A malformed url option is echoed in the ConfigError with its password: redactUrl only recognises
 * `scheme://user:pass@`, so a typo in the scheme (`amqp//`, `amqp:/`), a missing scheme or a leading space
 * leave the password in the message an application logs at startup. A URL object (a common mistake) was shown
 * with String(), its href, password included; a Symbol made String() throw a TypeError out of connect.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ErrorCode, EventBus, isRxPubsubError } from '../../src/index.js';

describe('review - a malformed url never shows its password', () => {
  it.each([
    ['a typo in the scheme (amqp//)', 'amqp//user:s3cr3tPW@host'],
    ['a typo in the scheme (amqp:/)', 'amqp:/user:s3cr3tPW@host'],
    ['no scheme', 'user:s3cr3tPW@host:5672'],
    ['a leading space', ' amqp://user:s3cr3tPW@127.0.0.1:5672'],
    ['a URL object', new URL('amqp://user:s3cr3tPW@127.0.0.1:5672')],
    ['a list with a typo', ['amqp://a:ok@h1', 'amqp//user:s3cr3tPW@h2']],
  ])('options - url with %s is INVALID_OPTIONS without the password', async (_what, url) => {
    const error = await EventBus.connect({ url: url as never, connectTimeoutMs: 1_000 }).then(async (bus) => { await bus.close(); return undefined; }, (e: unknown) => e);
    expect(isRxPubsubError(error, ErrorCode.INVALID_OPTIONS)).toBe(true);
    expect(inspect(error, { depth: Infinity, showHidden: true })).not.toMatch(/s3cr3tPW/);
  });

  it('options - a Symbol url is INVALID_OPTIONS, not a TypeError', async () => {
    const error = await EventBus.connect({ url: Symbol('amqp') as never }).then(() => undefined, (e: unknown) => e);
    expect(isRxPubsubError(error, ErrorCode.INVALID_OPTIONS)).toBe(true);
  });
});
