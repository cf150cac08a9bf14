/** The `history` option of EventBus.connect: its defaults, and what it refuses (before anything connects). */
import { describe, expect, it } from 'vitest';
import { ConfigError, EventBus } from '../../src/index.js';
import { resolveOptions } from '../../src/bus/options.js';
import { expectRxError } from '../support/bus.js';

const url = 'memory://history-options';

describe('history option', () => {
  it('history option - defaults: stream <exchange>.history, kept 7 days, no size limit', () => {
    expect(resolveOptions({ url, exchange: 'shop', history: {} }).history).toEqual({
      exchange: 'shop',
      stream: 'shop.history',
      maxAge: '7D',
      maxLengthBytes: undefined,
      maxSegmentSizeBytes: undefined,
    });
    expect(resolveOptions({ url }).history).toBeUndefined();
  });

  it('history option - keeps what is given', () => {
    const history = { stream: 'audit', maxAge: '12h', maxLengthBytes: 5_000_000_000, maxSegmentSizeBytes: 100_000_000 };
    expect(resolveOptions({ url, history }).history).toEqual({ exchange: 'events', ...history });
  });

  it.each([
    ['not an object', 'yes', /EventBus option history must be an object/],
    ['an unknown field', { maxAgeMs: 1000 }, /history.maxAgeMs is not a history option; use stream, maxAge/],
    ['a stream name with a space', { stream: 'my history' }, /history.stream must be 1-200 characters/],
    ['an amq. stream', { stream: 'amq.history' }, /not starting with "amq\."/],
    ['the service queue', { stream: 'orders' }, /history.stream must not be the service queue "orders"/],
    ["the service queue's dead letters", { stream: 'orders.dlq' }, /must not be the service queue/],
    ['a max age without a unit', { maxAge: '7' }, /history.maxAge must be a number and a unit Y, M, D, h, m or s/],
    ['a max age in words', { maxAge: '7 days' }, /history.maxAge must be/],
    ['a max age of 0', { maxAge: '0D' }, /history.maxAge must be/],
    ['a negative size', { maxLengthBytes: -1 }, /history.maxLengthBytes must be a whole number of bytes from 1/],
    ['a segment larger than RabbitMQ allows', { maxSegmentSizeBytes: 4_000_000_000 }, /history.maxSegmentSizeBytes must be .* to 3000000000/],
  ])('history option - refuses %s with INVALID_OPTIONS', async (_what, history, message) => {
    const error = await expectRxError(EventBus.connect({ url, queue: 'orders', history: history as never }), ConfigError, 'INVALID_OPTIONS');
    expect(error.message).toMatch(message);
  });
});
