/**
 * Glob matching on string literal types, following the runtime matcher
 * (`compilePattern`: minimatch with `*` crossing dots) for the forms a type
 * can follow exactly:
 *
 * | form                   | meaning                                   |
 * |------------------------|-------------------------------------------|
 * | `order.created`        | literal characters                        |
 * | `*` (and `**`)         | any run of characters, dots included      |
 * | `?`                    | exactly one character, a dot included     |
 * | `{created,paid}`       | one of the comma-separated alternatives   |
 *
 * Anything else (`[...]` classes, extglobs `@(...)`, `\` escapes, nested
 * braces, `{1..3}` ranges, `{a}` without a comma) is not followed:
 * {@link GlobMatch} then says `'unknown'`, and callers fall back to every
 * candidate rather than guess.
 *
 * Types in this folder are type-level only and have no runtime part.
 */

/** The pattern characters the types do not follow (classes, extglobs, escapes). */
type Unfollowed = '[' | ']' | '(' | ')' | '\\';

/** Whether `P` contains one of the characters in `C`. */
type Contains<P extends string, C extends string> = C extends C ? (P extends `${string}${C}${string}` ? true : never) : never;

/** `a,b,c` → `'a' | 'b' | 'c'`. */
type Alternatives<B extends string> = B extends `${infer Head},${infer Tail}` ? Head | Alternatives<Tail> : B;

/**
 * The brace-free globs a pattern expands to (`order.{created,paid}` →
 * `'order.created' | 'order.paid'`), or `never` when its braces are of a form
 * the types do not follow.
 */
export type ExpandBraces<P extends string> = P extends `${infer Pre}{${infer Body}}${infer Post}`
  ? [Contains<Body, '{'>] extends [never]
    ? Body extends `${string},${string}`
      ? ExpandBraces<Post> extends infer Rest extends string
        ? [Rest] extends [never]
          ? never
          : `${Pre}${Alternatives<Body>}${Rest}`
        : never
      : never
    : never
  : [Contains<P, '{' | '}'>] extends [never]
    ? P
    : never;

/** Whether the brace-free glob `G` matches all of the literal key `K`. */
type MatchGlob<G extends string, K extends string> = G extends `*${infer Rest}`
  ? MatchStar<Rest, K>
  : G extends `?${infer Rest}`
    ? K extends `${string}${infer KRest}`
      ? K extends ''
        ? false
        : MatchGlob<Rest, KRest>
      : false
    : G extends `${infer C}${infer Rest}`
      ? K extends `${C}${infer KRest}`
        ? MatchGlob<Rest, KRest>
        : false
      : K extends ''
        ? true
        : false;

/** `*` followed by `Rest`: try every split of `K`, shortest first. */
type MatchStar<Rest extends string, K extends string> =
  MatchGlob<Rest, K> extends true ? true : K extends `${string}${infer KRest}` ? (K extends '' ? false : MatchStar<Rest, KRest>) : false;

/**
 * Whether the glob `P` matches the routing key `K`: `true`, `false`, or
 * `'unknown'` when `P` or `K` is not a literal or `P` uses a form the types do
 * not follow.
 *
 * @example
 * type A = GlobMatch<'order.*', 'order.created'>;          // true
 * type B = GlobMatch<'order.{created,paid}', 'user.created'>; // false
 * type C = GlobMatch<'order.[cp]*', 'order.created'>;       // 'unknown'
 */
export type GlobMatch<P extends string, K extends string> = string extends P
  ? 'unknown'
  : IsLiteral<K> extends false
    ? 'unknown'
    : [Contains<P, Unfollowed>] extends [never]
      ? ExpandBraces<P> extends infer G extends string
        ? [G] extends [never]
          ? 'unknown'
          : true extends (G extends G ? MatchGlob<G, K> : never)
            ? true
            : false
        : 'unknown'
      : 'unknown';

/**
 * Whether `S` is a finite string literal (not `string`, not a template with
 * `${string}` holes): only then does `Record<S, 1>` have required keys.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the type-level test itself: `{}` is assignable to Record<S, 1> only when S has no literal keys
export type IsLiteral<S extends string> = {} extends Record<S, 1> ? false : true;
