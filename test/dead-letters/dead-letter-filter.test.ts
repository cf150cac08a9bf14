import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode, type DeadLetterEntry } from '../../src/index.js';
import { compileFilter } from '../../src/dead-letters/dead-letter-filter.js';

function entry(change: Partial<DeadLetterEntry>): DeadLetterEntry {
  return {
    position: 0,
    messageId: 'e-1',
    event: undefined,
    badBody: undefined,
    body: Buffer.alloc(0),
    routingKey: 'order.created',
    source: 'rx-pubsub',
    error: 'order.*: payment provider down',
    patterns: ['order.*'],
    attempts: 1,
    history: [],
    replayed: 0,
    firstFailedAt: new Date('2026-01-05T08:00:00Z'),
    lastFailedAt: new Date('2026-01-05T09:00:00Z'),
    properties: {},
    ...change,
  };
}

describe('dead-letter filter', () => {
  it('dead-letter filter - none selects everything', () => {
    expect(compileFilter(undefined)(entry({}))).toBe(true);
    expect(compileFilter({})(entry({ routingKey: undefined, lastFailedAt: undefined }))).toBe(true);
  });

  it.each([
    [{ routingKey: 'order.*' }, {}, true],
    [{ routingKey: 'order.{paid,shipped}' }, {}, false],
    [{ routingKey: '*.created' }, { routingKey: undefined }, false],
    [{ error: /payment/ }, {}, true],
    [{ error: 'PAYMENT' }, {}, false],
    [{ error: /PAYMENT/i }, {}, true],
    [{ pattern: 'order.*' }, {}, true],
    [{ pattern: 'order' }, {}, false],
    [{ messageId: 'e-1' }, {}, true],
    [{ messageId: ['e-2', 'e-3'] }, {}, false],
    [{ since: '2026-01-05T09:00:00Z' }, {}, true],
    [{ since: new Date('2026-01-05T09:00:01Z') }, {}, false],
    [{ until: Date.parse('2026-01-05T09:00:00Z') }, {}, false],
    [{ until: '2026-01-05T10:00:00Z' }, {}, true],
    [{ since: '2026-01-01T00:00:00Z' }, { lastFailedAt: undefined }, false],
    [{ routingKey: 'order.*', error: /payment/, pattern: 'order.*' }, {}, true],
    [{ routingKey: 'order.*', error: /smtp/ }, {}, false],
  ] as const)('dead-letter filter - %j on %j: %s', (filter, change, expected) => {
    expect(compileFilter(filter)(entry(change))).toBe(expected);
  });

  it('dead-letter filter - a global or sticky RegExp matches every entry, not every other one', () => {
    const matches = compileFilter({ error: /payment/g });
    expect([1, 2, 3, 4].map(() => matches(entry({})))).toEqual([true, true, true, true]);
  });

  it.each([
    [{ routingKey: 'order.#' }, ErrorCode.INVALID_PATTERN],
    [{ error: '(' }, ErrorCode.INVALID_ARGUMENT],
    [{ since: 'last tuesday' }, ErrorCode.INVALID_ARGUMENT],
    [{ until: Number.NaN }, ErrorCode.INVALID_ARGUMENT],
    [{ routingkey: 'order.*' }, ErrorCode.INVALID_ARGUMENT],
    [{ pattern: '' }, ErrorCode.INVALID_ARGUMENT],
    [{ messageId: [1] }, ErrorCode.INVALID_ARGUMENT],
  ])('dead-letter filter - %j is refused with a ConfigError %s', (filter, code) => {
    expect(() => compileFilter(filter as never)).toThrow(ConfigError);
    try {
      compileFilter(filter as never);
    } catch (error) {
      expect((error as ConfigError).code).toBe(code);
    }
  });
});
