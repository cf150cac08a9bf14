import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode } from '../../src/index.js';
import type { QueueReadProfile } from '../../src/dead-letters/dead-letter-queue.js';
import { readStrategy } from '../../src/dead-letters/read-strategy.js';

const NONE = { kind: 'none' } as const;
const quorum = (profile: Partial<QueueReadProfile> = {}): QueueReadProfile => ({
  type: 'quorum',
  deliveryLimit: NONE,
  brokerMajor: 3,
  ...profile,
});

function refusal(profile: QueueReadProfile, countedReads = false): ConfigError {
  try {
    readStrategy(profile, 'billing.dlq', 'stats', countedReads);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(ErrorCode.UNSAFE_READ);
    return error as ConfigError;
  }
  throw new Error('the read was allowed');
}

describe('read strategy', () => {
  it('read strategy - a classic queue is read in place; a quorum queue without a delivery limit (RabbitMQ 3, or memory) is read whole', () => {
    expect(readStrategy({ type: 'classic', deliveryLimit: NONE, brokerMajor: 3 }, 'q', 'stats', false)).toBe('in-place');
    expect(readStrategy(quorum(), 'q', 'stats', false)).toBe('whole-queue');
    expect(readStrategy(quorum({ brokerMajor: undefined }), 'q', 'stats', false)).toBe('whole-queue');
  });

  it('read strategy - an x-delivery-limit is refused, whatever countedReads says, naming the limit and the fix', () => {
    const limit = quorum({ deliveryLimit: { kind: 'set', value: '5' } });
    expect(refusal(limit).message).toMatch(
      /^stats refused: "billing.dlq" is a quorum queue with x-delivery-limit 5: .*needs no delivery limit/,
    );
    expect(refusal(limit, true).message).toMatch(/x-delivery-limit 5/);
  });

  it('read strategy - on RabbitMQ 4 a quorum queue is refused unless countedReads vouches (its limit is invisible); the message gives the policy', () => {
    const four = quorum({ brokerMajor: 4 });
    expect(refusal(four).message).toMatch(/RabbitMQ 4 .*20 by default.*delivery-limit -1.*countedReads: true \(--allow-counted-reads\)/);
    expect(readStrategy(four, 'q', 'stats', true)).toBe('whole-queue');
  });

  it('read strategy - a limit hidden by other arguments, or a type the broker will not tell, needs countedReads', () => {
    const hidden = quorum({ deliveryLimit: { kind: 'unknown', why: 'it was declared with the argument x-max-length' } });
    expect(refusal(hidden).message).toMatch(/cannot be known \(it was declared with the argument x-max-length\)/);
    expect(readStrategy(hidden, 'q', 'stats', true)).toBe('whole-queue');
    const unknown: QueueReadProfile = {
      type: 'unknown',
      deliveryLimit: { kind: 'unknown', why: 'the user lacks the configure permission' },
      brokerMajor: 3,
    };
    expect(refusal(unknown).message).toMatch(/type of queue "billing.dlq" cannot be known \(the user lacks the configure permission\)/);
    expect(readStrategy(unknown, 'q', 'stats', true)).toBe('whole-queue');
  });

  it('read strategy - a stream is refused, even with countedReads', () => {
    expect(refusal({ type: 'stream', deliveryLimit: NONE, brokerMajor: 3 }, true).message).toMatch(/is a stream queue/);
  });
});
