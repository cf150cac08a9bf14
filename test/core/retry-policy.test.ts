import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkRetryPolicy, type RetryPolicy, retryDelayMs } from '../../src/core/retry-policy.js';
import { ConfigError, ErrorCode, isRxPubsubError } from '../../src/errors.js';

/** The delays before retries 1..n. */
function delays(policy: RetryPolicy, n: number): number[] {
  return Array.from({ length: n }, (_, i) => retryDelayMs(policy, i + 1));
}

/** The ConfigError checkRetryPolicy throws for `value`; fails the test when it accepts it. */
function refusal(value: unknown, where = 'EventBus option retry'): ConfigError {
  try {
    checkRetryPolicy(value, where);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect(isRxPubsubError(error, ErrorCode.INVALID_OPTIONS)).toBe(true);
    return error as ConfigError;
  }
  throw new Error(`expected checkRetryPolicy to refuse ${inspect(value)}`);
}

describe('retryDelayMs', () => {
  it('retryDelayMs - a list gives one delay per retry, in order', () => {
    expect(delays({ attempts: 4, delaysMs: [1_000, 10_000, 60_000] }, 3)).toEqual([1_000, 10_000, 60_000]);
  });

  it('retryDelayMs - a list shorter than the retries repeats its last value', () => {
    expect(delays({ attempts: 6, delaysMs: [100, 500] }, 5)).toEqual([100, 500, 500, 500, 500]);
    expect(delays({ attempts: 4, delaysMs: [250] }, 3)).toEqual([250, 250, 250]);
  });

  it('retryDelayMs - a number doubles per retry by default', () => {
    expect(delays({ attempts: 6, delaysMs: 500 }, 5)).toEqual([500, 1_000, 2_000, 4_000, 8_000]);
  });

  it('retryDelayMs - a number grows by a custom factor', () => {
    expect(delays({ attempts: 5, delaysMs: 100, factor: 3 }, 4)).toEqual([100, 300, 900, 2_700]);
    expect(delays({ attempts: 4, delaysMs: 700, factor: 1 }, 3)).toEqual([700, 700, 700]);
  });

  it('retryDelayMs - maxDelayMs caps a growing delay', () => {
    expect(delays({ attempts: 6, delaysMs: 1_000, maxDelayMs: 3_000 }, 5)).toEqual([1_000, 2_000, 3_000, 3_000, 3_000]);
  });

  it('retryDelayMs - maxDelayMs caps a list too', () => {
    expect(delays({ attempts: 4, delaysMs: [100, 5_000, 50_000], maxDelayMs: 4_000 }, 3)).toEqual([100, 4_000, 4_000]);
  });

  it('retryDelayMs - without maxDelayMs the cap is one hour, even after many doublings', () => {
    expect(retryDelayMs({ attempts: 1_000, delaysMs: 1_000 }, 500)).toBe(3_600_000);
    expect(retryDelayMs({ attempts: 1_000, delaysMs: 1_000, factor: 100 }, 999)).toBe(3_600_000);
  });

  it('retryDelayMs - rounds to whole milliseconds', () => {
    expect(delays({ attempts: 4, delaysMs: 100, factor: 1.5 }, 3)).toEqual([100, 150, 225]);
    expect(retryDelayMs({ attempts: 4, delaysMs: 10, factor: 1.55 }, 2)).toBe(16); // 15.5
    expect(retryDelayMs({ attempts: 4, delaysMs: 10, factor: 1.53 }, 2)).toBe(15); // 15.3
    expect(retryDelayMs({ attempts: 2, delaysMs: [1_234.4] }, 1)).toBe(1_234);
  });

  it('retryDelayMs - is at least 1 ms', () => {
    expect(retryDelayMs({ attempts: 2, delaysMs: 0.2 }, 1)).toBe(1);
    expect(retryDelayMs({ attempts: 2, delaysMs: [0] }, 1)).toBe(1);
  });
});

describe('checkRetryPolicy', () => {
  it.each<[string, RetryPolicy]>([
    ['a list', { attempts: 3, delaysMs: [1_000, 5_000] }],
    ['a number', { attempts: 1, delaysMs: 500 }],
    ['every field', { attempts: 1_000, delaysMs: 3_600_000, factor: 100, maxDelayMs: 60_000 }],
    ['factor 1', { attempts: 2, delaysMs: 1, factor: 1 }],
  ])('checkRetryPolicy - accepts %s and returns an equal, frozen policy', (_label, policy) => {
    const checked = checkRetryPolicy(policy, 'EventBus option retry');
    expect(checked).toStrictEqual(policy);
    expect(checked).not.toBe(policy);
    expect(Object.isFrozen(checked)).toBe(true);
  });

  it.each([
    ['attempts 0', { attempts: 0, delaysMs: 100 }, 'attempts', /attempts must be an integer from 1 to 1000 \(got 0\)/],
    ['attempts 1.5', { attempts: 1.5, delaysMs: 100 }, 'attempts', /attempts must be an integer from 1 to 1000 \(got 1\.5\)/],
    ['attempts "3"', { attempts: '3', delaysMs: 100 }, 'attempts', /attempts must be an integer from 1 to 1000 \(got "3"\)/],
    ['attempts 1001', { attempts: 1_001, delaysMs: 100 }, 'attempts', /integer from 1 to 1000/],
    ['no attempts', { delaysMs: 100 }, 'attempts', /attempts must be an integer/],
    ['empty delays', { attempts: 3, delaysMs: [] }, 'delaysMs', /delaysMs must be a number or a non-empty list of numbers from 1 to 3600000 \(got \[\]\)/],
    ['a negative delay', { attempts: 3, delaysMs: [100, -5] }, 'delaysMs', /delaysMs must be .* \(got \[100,-5\]\)/],
    ['a negative number delay', { attempts: 3, delaysMs: -1 }, 'delaysMs', /delaysMs must be/],
    ['a delay over an hour', { attempts: 3, delaysMs: [3_600_001] }, 'delaysMs', /from 1 to 3600000/],
    ['a string delay', { attempts: 3, delaysMs: ['100'] }, 'delaysMs', /delaysMs must be/],
    ['an infinite delay', { attempts: 3, delaysMs: Number.POSITIVE_INFINITY }, 'delaysMs', /delaysMs must be/],
    ['no delays', { attempts: 3 }, 'delaysMs', /delaysMs must be/],
    ['an unknown field', { attempts: 3, delaysMs: 100, retries: 2 }, 'retries', /has an unknown field "retries"/],
    ['factor < 1', { attempts: 3, delaysMs: 100, factor: 0.5 }, 'factor', /factor must be a number from 1 to 100 \(got 0\.5\)/],
    ['factor over 100', { attempts: 3, delaysMs: 100, factor: 101 }, 'factor', /factor must be a number from 1 to 100/],
    ['factor NaN', { attempts: 3, delaysMs: 100, factor: Number.NaN }, 'factor', /factor must be/],
    ['factor "2"', { attempts: 3, delaysMs: 100, factor: '2' }, 'factor', /factor must be/],
    ['maxDelayMs 0', { attempts: 3, delaysMs: 100, maxDelayMs: 0 }, 'maxDelayMs', /maxDelayMs must be a positive integer \(got 0\)/],
    ['maxDelayMs 1.5', { attempts: 3, delaysMs: 100, maxDelayMs: 1.5 }, 'maxDelayMs', /maxDelayMs must be a positive integer/],
  ])('checkRetryPolicy - refuses %s with INVALID_OPTIONS, naming the field and showing an example', (_label, value, field, fix) => {
    const { message } = refusal(value);
    expect(message.startsWith('EventBus option retry')).toBe(true);
    expect(message).toContain(field);
    expect(message).toMatch(fix);
    expect(message).toContain('e.g. { attempts: 3, delaysMs: [1000, 5000] }');
  });

  it.each([null, 3, 'fast', undefined])('checkRetryPolicy - refuses %j, which is not an object', (value) => {
    expect(refusal(value).message).toMatch(/^EventBus option retry must be an object \{ attempts, delaysMs \}/);
  });

  it('checkRetryPolicy - the message starts with where the policy was given', () => {
    expect(refusal({ attempts: 0, delaysMs: 1 }, 'handle("order.*") option retry').message.startsWith('handle("order.*") option retry')).toBe(true);
  });

  it('checkRetryPolicy - names a nested field as "retry.attempts", like queueOptions.durable', () => {
    expect(refusal({ attempts: 0, delaysMs: 1 }).message).toMatch(/^EventBus option retry\.attempts must be/);
  });

  it('checkRetryPolicy - a delaysMs list cannot be changed by the caller after the check', () => {
    const list = [1_000, 5_000];
    const policy = checkRetryPolicy({ attempts: 3, delaysMs: list }, 'EventBus option retry');
    list.length = 0;
    expect(retryDelayMs(policy, 1)).toBe(1_000);
  });
});
