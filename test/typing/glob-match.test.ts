/**
 * The type-level glob matcher agrees with the runtime one: every row is
 * checked twice, by the compiler (`expectTypeOf`, in `tsc --noEmit`) and by
 * `compilePattern(...).test` at run time, against the same expectations.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type GlobMatch } from '../../src/index.js';
import { compilePattern } from '../../src/blocks.js';
import type { ExpandBraces, IsLiteral } from '../../src/typing/glob-match.js';
import { PATTERN_KEYS } from '../support/pattern-keys.js';

/** The keys of test/routing/pattern.test.ts, in the same order. */
const KEYS = PATTERN_KEYS;

type Keys = typeof KEYS;
/** `GlobMatch<P, K>` for every key, as a tuple in KEYS order. */
type Row<P extends string, K extends readonly string[] = Keys> = K extends readonly [infer Key extends string, ...infer Rest extends readonly string[]]
  ? [GlobMatch<P, Key>, ...Row<P, Rest>]
  : [];

const T = true;
const F = false;

/** Rows with an exact type-level answer: the pattern table's (but `[ou]*`) and more. */
const ROWS = {
  //                         order.created order.paid user.created order created order.created.v2 orders.created a.b.created Order.created od  order.c.eated x.y
  'order.created':          [T,           F,         F,           F,    F,      F,               F,             F,          F,            F,  F,            F],
  'order.*':                [T,           T,         F,           F,    F,      T,               F,             F,          F,            F,  T,            F],
  '*.created':              [T,           F,         T,           F,    F,      F,               T,             T,          T,            F,  F,            F],
  '*':                      [T,           T,         T,           T,    T,      T,               T,             T,          T,            T,  T,            T],
  '**':                     [T,           T,         T,           T,    T,      T,               T,             T,          T,            T,  T,            T],
  '*.*':                    [T,           T,         T,           F,    F,      T,               T,             T,          T,            F,  T,            T],
  'o*d':                    [T,           T,         F,           F,    F,      F,               T,             F,          F,            T,  T,            F],
  'order.c?eated':          [T,           F,         F,           F,    F,      F,               F,             F,          F,            F,  T,            F],
  '?????.*':                [T,           T,         F,           F,    F,      T,               F,             F,          T,            F,  T,            F],
  'order.{created,paid}':   [T,           T,         F,           F,    F,      F,               F,             F,          F,            F,  F,            F],
  '{order,user}.created':   [T,           F,         T,           F,    F,      F,               F,             F,          F,            F,  F,            F],
  '{order,user}.{created,paid}': [T,      T,         T,           F,    F,      F,               F,             F,          F,            F,  F,            F],
  '{order,x}.*':            [T,           T,         F,           F,    F,      T,               F,             F,          F,            F,  T,            T],
  '*.{created,paid}':       [T,           T,         T,           F,    F,      F,               T,             T,          T,            F,  F,            F],
  'order.#':                [F,           F,         F,           F,    F,      F,               F,             F,          F,            F,  F,            F],
} as const;

describe('GlobMatch', () => {
  it('GlobMatch - every row is what the compiler computes', () => {
    expectTypeOf<Row<'order.created'>>().toEqualTypeOf<[true, false, false, false, false, false, false, false, false, false, false, false]>();
    expectTypeOf<Row<'order.created'>>().toEqualTypeOf<Mutable<(typeof ROWS)['order.created']>>();
    expectTypeOf<Row<'order.*'>>().toEqualTypeOf<Mutable<(typeof ROWS)['order.*']>>();
    expectTypeOf<Row<'*.created'>>().toEqualTypeOf<Mutable<(typeof ROWS)['*.created']>>();
    expectTypeOf<Row<'*'>>().toEqualTypeOf<Mutable<(typeof ROWS)['*']>>();
    expectTypeOf<Row<'**'>>().toEqualTypeOf<Mutable<(typeof ROWS)['**']>>();
    expectTypeOf<Row<'*.*'>>().toEqualTypeOf<Mutable<(typeof ROWS)['*.*']>>();
    expectTypeOf<Row<'o*d'>>().toEqualTypeOf<Mutable<(typeof ROWS)['o*d']>>();
    expectTypeOf<Row<'order.c?eated'>>().toEqualTypeOf<Mutable<(typeof ROWS)['order.c?eated']>>();
    expectTypeOf<Row<'?????.*'>>().toEqualTypeOf<Mutable<(typeof ROWS)['?????.*']>>();
    expectTypeOf<Row<'order.{created,paid}'>>().toEqualTypeOf<Mutable<(typeof ROWS)['order.{created,paid}']>>();
    expectTypeOf<Row<'{order,user}.created'>>().toEqualTypeOf<Mutable<(typeof ROWS)['{order,user}.created']>>();
    expectTypeOf<Row<'{order,user}.{created,paid}'>>().toEqualTypeOf<Mutable<(typeof ROWS)['{order,user}.{created,paid}']>>();
    expectTypeOf<Row<'{order,x}.*'>>().toEqualTypeOf<Mutable<(typeof ROWS)['{order,x}.*']>>();
    expectTypeOf<Row<'*.{created,paid}'>>().toEqualTypeOf<Mutable<(typeof ROWS)['*.{created,paid}']>>();
    expectTypeOf<Row<'order.#'>>().toEqualTypeOf<Mutable<(typeof ROWS)['order.#']>>();
  });

  // `#` can never match a routing key: the types match nothing, and the runtime refuses the pattern outright.
  it.each(Object.entries(ROWS).filter(([pattern]) => !pattern.includes('#')))('GlobMatch - the runtime matcher agrees on %j', (pattern, expected) => {
    const compiled = compilePattern(pattern);
    expect(KEYS.map((key) => compiled.test(key))).toEqual(expected);
  });

  it('GlobMatch - "order.#" matches nothing in the types and is refused at run time', () => {
    expect(ROWS['order.#'].every((matched) => !matched)).toBe(true);
    expect(() => compilePattern('order.#')).toThrow(/already crosses dots/);
  });

  it('GlobMatch - forms the types do not follow are unknown, never a guess', () => {
    type Unknown = 'unknown';
    expectTypeOf<GlobMatch<'[ou]*.created', 'order.created'>>().toEqualTypeOf<Unknown>();
    expectTypeOf<GlobMatch<'[ou]*.created', 'x.y'>>().toEqualTypeOf<Unknown>();
    expectTypeOf<GlobMatch<'order.@(created|paid)', 'order.created'>>().toEqualTypeOf<Unknown>();
    expectTypeOf<GlobMatch<'order.+(a)', 'order.a'>>().toEqualTypeOf<Unknown>();
    expectTypeOf<GlobMatch<'order.\\*', 'order.*'>>().toEqualTypeOf<Unknown>();
    expectTypeOf<GlobMatch<'order.{created,{paid,shipped}}', 'order.paid'>>().toEqualTypeOf<Unknown>();
    expectTypeOf<GlobMatch<'order.v{1..3}', 'order.v2'>>().toEqualTypeOf<Unknown>();
    expectTypeOf<GlobMatch<'order.{created}', 'order.created'>>().toEqualTypeOf<Unknown>();
    expectTypeOf<GlobMatch<string, 'order.created'>>().toEqualTypeOf<Unknown>();
    expectTypeOf<GlobMatch<'order.*', string>>().toEqualTypeOf<Unknown>();
    expectTypeOf<GlobMatch<'order.*', `order.${string}`>>().toEqualTypeOf<Unknown>();
  });

  it('GlobMatch - brace expansion gives every combination', () => {
    expectTypeOf<ExpandBraces<'{order,user}.{created,paid}'>>().toEqualTypeOf<'order.created' | 'order.paid' | 'user.created' | 'user.paid'>();
    expectTypeOf<ExpandBraces<'order.{created,}'>>().toEqualTypeOf<'order.created' | 'order.'>();
    expectTypeOf<ExpandBraces<'order.*'>>().toEqualTypeOf<'order.*'>();
    expectTypeOf<ExpandBraces<'order.{created'>>().toBeNever();
  });

  it('GlobMatch - IsLiteral tells finite literals from open strings', () => {
    expectTypeOf<IsLiteral<'order.created'>>().toEqualTypeOf<true>();
    expectTypeOf<IsLiteral<''>>().toEqualTypeOf<true>();
    expectTypeOf<IsLiteral<string>>().toEqualTypeOf<false>();
    expectTypeOf<IsLiteral<`order.${string}`>>().toEqualTypeOf<false>();
    expectTypeOf<IsLiteral<`${string}.created`>>().toEqualTypeOf<false>();
  });
});

type Mutable<T extends readonly unknown[]> = { -readonly [I in keyof T]: T[I] };
