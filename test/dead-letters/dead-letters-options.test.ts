import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, ConnectionError, deadLetters, ErrorCode } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';

// deadLetters() on memory://x takes that in-process broker (created on first use).
afterAll(() => void MemoryBroker.reset('x'));

function refusal(options: unknown): ConfigError {
  try {
    deadLetters(options as never);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('deadLetters accepted the options');
}

describe('deadLetters options', () => {
  it.each([
    ['no url', { queue: 'orders' }, /url/],
    ['an http url', { url: 'http://host', queue: 'orders' }, /url must be amqp/],
    ['memory:// without a name', { url: 'memory://', queue: 'orders' }, /url/],
    ['no queue', { url: 'memory://x' }, /queue/],
    ['an empty exchange', { url: 'memory://x', queue: 'orders', exchange: '' }, /exchange/],
    ['a typo', { url: 'memory://x', queue: 'orders', dlq: 'x' }, /dlq is not an option/],
    ['a zero timeout', { url: 'memory://x', queue: 'orders', connectTimeoutMs: 0 }, /connectTimeoutMs/],
    ['countedReads not a boolean', { url: 'memory://x', queue: 'orders', countedReads: 'yes' }, /countedReads must be true or false/],
  ])('deadLetters options - %s is refused with INVALID_OPTIONS, naming the option', (_, options, message) => {
    const error = refusal(options);
    expect(error.code).toBe(ErrorCode.INVALID_OPTIONS);
    expect(error.message).toMatch(message);
  });

  it('deadLetters options - a malformed URL is refused without showing its password', () => {
    const error = refusal({ url: 'amqp//admin:s3cret@host', queue: 'orders' });
    expect(error.message).not.toContain('s3cret');
  });

  it('deadLetters options - the dead-letter queue is Q.dlq unless named', () => {
    expect(deadLetters({ url: 'memory://x', queue: 'orders' }).deadLetterQueue).toBe('orders.dlq');
    expect(deadLetters({ url: 'memory://x', queue: 'orders', deadLetterQueue: 'dead' }).deadLetterQueue).toBe('dead');
  });

  it('deadLetters options - bad operation options are refused with INVALID_ARGUMENT, replay at once', async () => {
    const dlq = deadLetters({ url: 'memory://x', queue: 'orders' });
    await expect(dlq.peek({ limit: 0 })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(dlq.purge({ filter: { error: '(' } })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    expect(() => dlq.replay({ to: 'everywhere' as never })).toThrow(/to/);
    expect(() => dlq.replay({ window: -1 })).toThrow(/window/);
    await dlq.close();
  });

  it('deadLetters options - after close, operations reject with CLOSED', async () => {
    const dlq = deadLetters({ url: 'memory://x', queue: 'orders' });
    await dlq.close();
    await expect(dlq.stats()).rejects.toBeInstanceOf(ConnectionError);
    await expect(dlq.stats()).rejects.toMatchObject({ code: ErrorCode.CLOSED });
  });
});
