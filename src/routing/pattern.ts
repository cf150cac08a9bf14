import { braceExpand, Minimatch } from 'minimatch';
import { ConfigError, ErrorCode, show } from '../errors.js';

/**
 * A routing pattern: a glob over the routing key with minimatch semantics,
 * where `*` crosses dots (routing keys have no `/`), unlike AMQP's topic `*`.
 *
 * | pattern                | matches                          |
 * |------------------------|----------------------------------|
 * | `order.created`        | exactly that key                 |
 * | `order.*`              | every order event                |
 * | `*.created`            | every `created` event            |
 * | `*`                    | everything                       |
 * | `order.{created,paid}` | the two keys                     |
 */
export interface Pattern {
  /** The glob as given, e.g. `order.*`. */
  readonly source: string;
  /** Whether the routing key matches. */
  test(routingKey: string): boolean;
  /** The narrowest AMQP topic binding keys that route every matching key to a queue. */
  readonly bindingKeys: readonly string[];
}

/**
 * The bounds a pattern keeps, checked by `compilePattern` (so by `handle`
 * and `on$`). A routing key is at most 255 bytes; the other two keep one
 * pattern from costing the broker many bindings or a delivery much matching.
 */
export const PATTERN_LIMITS = Object.freeze({
  /** Characters in a pattern. */
  maxLength: 255,
  /** Alternatives a pattern's braces expand to (`{a,b}{c,d}` is 4, `{1..100}` is 100): each can be an AMQP binding. */
  maxExpansions: 100,
  /**
   * Wildcards in one alternative: runs of `*` and the repeating extglobs
   * `*(...)`, `+(...)`, `!(...)`. Matching backtracks over each: with three,
   * the worst 255-byte routing key costs about 25 ms; with four, seconds.
   */
  maxWildcards: 3,
} as const);

// `braceExpandMax`: minimatch expands braces itself when compiling, so it too must stop past the limit.
const MINIMATCH_OPTIONS = { dot: true, nocomment: true, nonegate: true, braceExpandMax: PATTERN_LIMITS.maxExpansions + 1 } as const;
const GLOB_CHARS = /[*?[\]()!+@\\]/;
/** Word characters and dots (what routing keys are made of) and glob syntax; nothing else can ever match. */
const PATTERN_CHARS = /^[A-Za-z0-9_.*?[\]{},!()+@|^:-]*$/;
/** A run of `*` (one wildcard however long), or a repeating extglob's opening. */
const WILDCARD = /[*+!]\(|\*+/g;
/** The opening of a repeating extglob: `*(...)` or `+(...)`. */
const REPEATED = /[*+]\(/g;
/** An alternative a repeating extglob may hold: literal characters. */
const LITERAL = /^[A-Za-z0-9_.-]+$/;

/**
 * Compiles a glob into a {@link Pattern}.
 *
 * @throws {ConfigError} `INVALID_PATTERN` for an empty or `/`-containing
 *   pattern, a character no routing key has (`#`: here `*` crosses dots), or
 *   one past {@link PATTERN_LIMITS}.
 * @example
 * const pattern = compilePattern('order.{created,paid}');
 * pattern.test('order.paid'); // true
 * pattern.bindingKeys; // ['order.created', 'order.paid']
 */
export function compilePattern(source: string): Pattern {
  if (typeof source !== 'string' || source.length === 0 || source.length > PATTERN_LIMITS.maxLength || /[\s/]/.test(source)) {
    throw new ConfigError(
      ErrorCode.INVALID_PATTERN,
      `Invalid pattern ${show(source)}: use a non-empty glob over "domain.action" of at most ${PATTERN_LIMITS.maxLength} characters (PATTERN_LIMITS.maxLength) without spaces or "/", e.g. "order.*" or "*.created"`,
    );
  }
  checkCharacters(source);
  const expanded = expansionsOf(source);
  const regexp = new Minimatch(source, MINIMATCH_OPTIONS).makeRe();
  if (regexp === false) {
    throw new ConfigError(ErrorCode.INVALID_PATTERN, `Invalid pattern "${source}": minimatch cannot compile it`);
  }
  return Object.freeze({ source, test: (key: string) => regexp.test(key), bindingKeys: bindingKeysFrom(expanded) });
}

function checkCharacters(source: string): void {
  if (PATTERN_CHARS.test(source)) return;
  // eslint-disable-next-line @typescript-eslint/no-misused-spread -- code points are what we want: the error names the offending character, not half a surrogate pair
  const char = [...source].find((c) => !PATTERN_CHARS.test(c)) ?? '';
  const hint =
    char === '#'
      ? ` Write ${show(source.replaceAll('#', '*'))}: this is a glob, not an AMQP binding key, and its "*" already crosses dots (AMQP's "#").`
      : '';
  invalidPattern(
    source,
    `${show(char)} never appears in a routing key (words of letters, digits, "_" and "-" joined by dots), so the pattern could never match; "*" already crosses dots here.${hint}`,
  );
}

/**
 * The brace-free globs `source` stands for, bounded: brace-expansion stops
 * one past the limit (its own step budget bounds the work before that), so
 * `{1..100000000}` costs as little as `{1..101}`.
 */
function expansionsOf(source: string): readonly string[] {
  const expanded = braceExpand(source, MINIMATCH_OPTIONS);
  if (expanded.length > PATTERN_LIMITS.maxExpansions) {
    invalidPattern(
      source,
      `its braces expand to more than ${PATTERN_LIMITS.maxExpansions} alternatives (PATTERN_LIMITS.maxExpansions); use a wildcard such as "order.*"`,
    );
  }
  for (const glob of expanded) {
    const wildcards = glob.match(WILDCARD)?.length ?? 0;
    if (wildcards > PATTERN_LIMITS.maxWildcards) {
      invalidPattern(
        source,
        `${show(glob)} has ${wildcards} wildcards; the limit is ${PATTERN_LIMITS.maxWildcards} (PATTERN_LIMITS.maxWildcards), as each one multiplies the cost of matching`,
      );
    }
    checkRepeated(source, glob);
  }
  return expanded;
}

/**
 * A repeated extglob backtracks exponentially when its body can match one
 * text in two ways: `+(a|aa)`, `+(+(a))`. Allowed are bodies of literal
 * alternatives that start with different characters (`+(order|user)`), where
 * the next character picks the alternative.
 */
function checkRepeated(source: string, glob: string): void {
  for (const opening of glob.matchAll(REPEATED)) {
    const start = opening.index + 2;
    let depth = 1;
    let end = start;
    while (end < glob.length && depth > 0) {
      if (glob[end] === '(') depth++;
      if (glob[end] === ')') depth--;
      end++;
    }
    const alternatives = glob.slice(start, end - 1).split('|');
    const firsts = new Set(alternatives.map((alternative) => alternative[0]));
    if (alternatives.every((alternative) => LITERAL.test(alternative)) && firsts.size === alternatives.length) continue;
    invalidPattern(
      source,
      `in ${show(glob)}, a repeated extglob "*(...)" or "+(...)" may only hold literal alternatives that start with different characters, as "+(order|user)": any other can take exponential time to match`,
    );
  }
}

function invalidPattern(source: string, why: string): never {
  throw new ConfigError(ErrorCode.INVALID_PATTERN, `Invalid pattern ${show(source)}: ${why}`);
}

/**
 * `order.*` → `order.#`, `*.created` → `#.created`, `order.{created,paid}` →
 * both keys, `*` → `#`. A glob segment can span dots, so the words between the
 * first and the last wildcard segment collapse into one `#`.
 */
export function bindingKeysOf(source: string): readonly string[] {
  return bindingKeysFrom(braceExpand(source, MINIMATCH_OPTIONS));
}

function bindingKeysFrom(globs: readonly string[]): readonly string[] {
  const keys = new Set<string>();
  for (const expanded of globs) {
    const key = bindingKeyOf(expanded);
    if (key === '#') return ['#'];
    keys.add(key);
  }
  return [...keys];
}

function bindingKeyOf(glob: string): string {
  const words = splitWords(glob);
  const first = words.findIndex((w) => GLOB_CHARS.test(w));
  if (first === -1) return words.join('.');
  const last = words.findLastIndex((w) => GLOB_CHARS.test(w));
  return [...words.slice(0, first), '#', ...words.slice(last + 1)].join('.');
}

/** Splits on dots that are not inside `[...]` or `(...)`. */
function splitWords(glob: string): string[] {
  const words: string[] = [];
  let depth = 0;
  let word = '';
  for (const char of glob) {
    if (char === '[' || char === '(') depth++;
    if ((char === ']' || char === ')') && depth > 0) depth--;
    if (char === '.' && depth === 0) {
      words.push(word);
      word = '';
    } else {
      word += char;
    }
  }
  words.push(word);
  return words;
}
