import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode, isRxPubsubError } from '../../src/errors.js';
import { bindingKeysOf, compilePattern } from '../../src/routing/pattern.js';
import { topicMatches } from '../../src/transport/memory/topic-matches.js';
import { PATTERN_KEYS } from '../support/pattern-keys.js';

/** The routing keys every row of the match table is checked against, in column order. */
const KEYS = PATTERN_KEYS;

const T = true;
const F = false;

/**
 * Expected matches, one column per key of KEYS. Every row but the brace row
 * was produced by Python 3.11.7 `fnmatch.fnmatchcase(key, pattern)`:
 *
 *   python3 -c "import fnmatch; print([fnmatch.fnmatchcase(k, p) for k in KEYS])"
 *
 * and pasted here unchanged: the Python system routed with fnmatch, so these
 * are the semantics users rely on (`*` crosses dots, `?` is one character,
 * the dot included, `[ou]` a class, case-sensitive). fnmatch has no braces;
 * the `order.{created,paid}` row follows minimatch brace expansion.
 */
const MATCH_TABLE: readonly (readonly [pattern: string, expected: readonly boolean[]])[] = [
  //                     order.created order.paid user.created order created order.created.v2 orders.created a.b.created Order.created od  order.c.eated x.y
  ['order.created',        [T,           F,         F,           F,    F,      F,               F,             F,          F,            F,  F,            F]],
  ['order.*',              [T,           T,         F,           F,    F,      T,               F,             F,          F,            F,  T,            F]],
  ['*.created',            [T,           F,         T,           F,    F,      F,               T,             T,          T,            F,  F,            F]],
  ['*',                    [T,           T,         T,           T,    T,      T,               T,             T,          T,            T,  T,            T]],
  ['*.*',                  [T,           T,         T,           F,    F,      T,               T,             T,          T,            F,  T,            T]],
  ['o*d',                  [T,           T,         F,           F,    F,      F,               T,             F,          F,            T,  T,            F]],
  ['order.c?eated',        [T,           F,         F,           F,    F,      F,               F,             F,          F,            F,  T,            F]],
  ['[ou]*.created',        [T,           F,         T,           F,    F,      F,               T,             F,          F,            F,  F,            F]],
  // Not fnmatch: minimatch brace expansion, exactly the two keys.
  ['order.{created,paid}', [T,           T,         F,           F,    F,      F,               F,             F,          F,            F,  F,            F]],
];

describe('pattern', () => {
  describe.each(MATCH_TABLE)('compilePattern(%j)', (pattern, expected) => {
    it.each(KEYS.map((key, i) => [key, expected[i]] as const))(`pattern - "${pattern}" against %j is %s`, (key, matches) => {
      expect(compilePattern(pattern).test(key)).toBe(matches);
    });
  });

  it('pattern - the match table has one expectation per key', () => {
    for (const [, expected] of MATCH_TABLE) expect(expected).toHaveLength(KEYS.length);
  });

  it('pattern - keeps its source and is frozen', () => {
    const pattern = compilePattern('order.*');
    expect(pattern.source).toBe('order.*');
    expect(Object.isFrozen(pattern)).toBe(true);
  });

  describe('pattern - invalid patterns are refused with INVALID_PATTERN and a fix', () => {
    const INVALID: readonly (readonly [label: string, value: unknown])[] = [
      ['empty', ''],
      ['a space', 'a b'],
      ['a tab', 'a\tb'],
      ['a slash', 'a/b'],
      ['300 characters', `order.${'x'.repeat(294)}`],
      ['a number', 42],
      ['null', null],
      ['undefined', undefined],
      ['an object', { pattern: 'order.*' }],
      ['a symbol', Symbol('order.*')],
    ];

    it.each(INVALID)('pattern - refuses %s', (_label, value) => {
      let thrown: unknown;
      try {
        compilePattern(value as string);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect(isRxPubsubError(thrown, ErrorCode.INVALID_PATTERN)).toBe(true);
      // The message says how to fix it, with an example of a good pattern.
      expect((thrown as Error).message).toMatch(/Invalid pattern/);
      expect((thrown as Error).message).toMatch(/use a non-empty glob/);
      expect((thrown as Error).message).toContain('"order.*"');
    });

    it('pattern - refuses a BigInt with a ConfigError, not a TypeError', () => {
      expect(() => compilePattern(10n as unknown as string)).toThrow(ConfigError);
    });

    it('pattern - accepts 255 characters, the limit', () => {
      const source = `order.${'x'.repeat(249)}`;
      expect(source).toHaveLength(255);
      expect(compilePattern(source).test(source)).toBe(true);
    });
  });

  describe('pattern - glob to AMQP binding keys', () => {
    const BINDINGS: readonly (readonly [glob: string, keys: readonly string[]])[] = [
      ['order.*', ['order.#']],
      ['*.created', ['#.created']],
      ['*', ['#']],
      ['order.{created,paid}', ['order.created', 'order.paid']],
      ['order.created', ['order.created']],
      ['{order,user}.*', ['order.#', 'user.#']],
      ['a.*.c', ['a.#.c']],
      ['order.cre*', ['order.#']],
      // A wildcard anywhere in a single-word glob can span every dot.
      ['o*d', ['#']],
      ['order.c?eated', ['order.#']],
      ['[ou]*.created', ['#.created']],
      // One '#' covers every other expansion.
      ['{order.*,*}', ['#']],
    ];

    it.each(BINDINGS)('pattern - %j binds %j', (glob, keys) => {
      expect(bindingKeysOf(glob)).toEqual(keys);
      expect(compilePattern(glob).bindingKeys).toEqual(keys);
    });
  });

  describe('pattern - every matched key reaches the queue through a binding key (AMQP topic rules)', () => {
    const ROUTING_KEYS = [
      ...KEYS,
      'order.paid.late',
      'user.registered',
      'a.c',
      'a.b.c',
      'a.b.b.c',
      'a..c',
      'a.c.c',
      'orderx.created',
      'order.cre',
      'order.crea.ted',
      'u.created',
      'o.d',
      'oxd',
      '#.created',
      'order.#',
      'order.*',
    ];
    const PATTERNS = [
      ...MATCH_TABLE.map(([pattern]) => pattern),
      '{order,user}.*',
      'a.*.c',
      'order.cre*',
      'a?c',
      'a.?.c',
      '*.c',
      'order.*.late',
      '*.{created,paid}',
      '?rder.created',
      'order.[cp]*',
      '+(order|user).created',
    ];

    it.each(PATTERNS)('pattern - %j', (source) => {
      const pattern = compilePattern(source);
      const matched = ROUTING_KEYS.filter((key) => pattern.test(key));
      // The property is only worth something when the pattern matches keys at all.
      expect(matched.length).toBeGreaterThan(0);
      for (const key of matched) {
        expect({ key, bound: pattern.bindingKeys.some((binding) => topicMatches(binding, key)) }).toEqual({ key, bound: true });
      }
    });
  });
});
