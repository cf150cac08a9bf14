import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode, isRxPubsubError } from '../../src/errors.js';
import { compilePattern, PATTERN_LIMITS } from '../../src/routing/pattern.js';

/** The INVALID_PATTERN message compilePattern refuses `source` with; fails the test when it compiles. */
function refusal(source: string): string {
  try {
    compilePattern(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect(isRxPubsubError(error, ErrorCode.INVALID_PATTERN)).toBe(true);
    return (error as Error).message;
  }
  throw new Error(`expected ${source} to be refused`);
}

/** Milliseconds `fn` takes. */
function timed(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

describe('pattern limits', () => {
  it('pattern limits - AMQP\'s "#" is refused, saying "*" already crosses dots and how to write it', () => {
    const message = refusal('order.#');
    expect(message).toContain('"#"');
    expect(message).toContain('"*" already crosses dots');
    expect(message).toContain('"order.*"');
  });

  it.each(['#', '#.created', 'order.$', 'order.cré*', 'order.a%b', "order.'x'", 'order.\\*', 'order.a;b', 'order.~', 'order.a=b'])(
    'pattern limits - %j, with a character no routing key has, is refused',
    (source) => {
      expect(refusal(source)).toContain('never appears in a routing key');
    },
  );

  it.each([
    'order.{1..3}', '[ou]*.created', 'order.[!c]*', 'order.[^c]*', '[[:alpha:]]*.created', '+(order|user).created',
    '@(order|user).*', '!(order).*', '?(x)order.*', '*(o)rder.*', 'order_v2-x.*', '{order,user}.{created,paid}',
  ])('pattern limits - glob syntax %j is accepted', (source) => {
    expect(compilePattern(source).source).toBe(source);
  });

  it('pattern limits - braces expanding past maxExpansions are refused, naming the limit', () => {
    expect(compilePattern(`order.{1..${PATTERN_LIMITS.maxExpansions}}`).bindingKeys).toHaveLength(PATTERN_LIMITS.maxExpansions);
    expect(refusal(`order.{1..${PATTERN_LIMITS.maxExpansions + 1}}`)).toContain(`more than ${PATTERN_LIMITS.maxExpansions} alternatives`);
    expect(refusal('{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}')).toContain('PATTERN_LIMITS.maxExpansions');
  });

  it('pattern limits - a huge brace range is refused at once, without expanding it', () => {
    for (const source of ['order.{1..100000}', 'order.{1..100000000}', '{1..99999999}.{1..99999999}', '{a..z}{a..z}{a..z}{a..z}.x']) {
      let message = '';
      // A bound on a blow-up (expanding 100,000,000 alternatives takes minutes or all memory), not a speed figure.
      expect(timed(() => (message = refusal(source)))).toBeLessThan(1_000);
      expect(message).toContain('PATTERN_LIMITS.maxExpansions');
    }
  });

  it('pattern limits - more than maxWildcards wildcards in one alternative are refused', () => {
    expect(compilePattern('*a*a*b').source).toBe('*a*a*b');
    expect(refusal('*a*a*a*b')).toContain(`the limit is ${PATTERN_LIMITS.maxWildcards}`);
    expect(refusal('*.{a,*a*a*a*b}')).toContain('PATTERN_LIMITS.maxWildcards');
  });

  it.each(['+(a|aa)b', '*(ab|a).x', '+(a|+(b)).x', '+(a*|b).x'])('pattern limits - a repeated extglob that can backtrack exponentially, %j, is refused', (source) => {
    expect(refusal(source)).toContain('exponential');
  });

  it('pattern limits - the costliest accepted patterns match a hostile 255-byte routing key quickly', () => {
    const key = `${'a'.repeat(253)}.c`;
    for (const source of ['*a*a*b', '+(a)*a*b', '!(a)*a*b', '*a?a*b', '+(order|user)*a*b']) {
      const pattern = compilePattern(source);
      expect({ source, fast: timed(() => pattern.test(key)) < 250 }).toEqual({ source, fast: true });
    }
  });
});
