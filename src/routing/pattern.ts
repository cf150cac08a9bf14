import { braceExpand, Minimatch } from 'minimatch';
import { ConfigError, ErrorCode, show } from '../errors.js';

/**
 * A routing pattern: a glob over the routing key with minimatch semantics,
 * where `*` crosses dots as in Python's fnmatch (routing keys have no `/`).
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
  readonly source: string;
  /** Whether the routing key matches. */
  test(routingKey: string): boolean;
  /** The narrowest AMQP topic binding keys that route every matching key to a queue. */
  readonly bindingKeys: readonly string[];
}

const MINIMATCH_OPTIONS = { dot: true, nocomment: true, nonegate: true } as const;
const GLOB_CHARS = /[*?[\]()!+@\\]/;
const MAX_LENGTH = 255;

/**
 * Compiles a glob into a {@link Pattern}.
 *
 * @throws {ConfigError} `INVALID_PATTERN` for an empty, too long or `/`-containing pattern.
 */
export function compilePattern(source: string): Pattern {
  if (typeof source !== 'string' || source.length === 0 || source.length > MAX_LENGTH || /[\s/]/.test(source)) {
    throw new ConfigError(
      ErrorCode.INVALID_PATTERN,
      `Invalid pattern ${show(source)}: use a non-empty glob over "domain.action" without spaces or "/", e.g. "order.*" or "*.created"`,
    );
  }
  const regexp = new Minimatch(source, MINIMATCH_OPTIONS).makeRe();
  if (regexp === false) {
    throw new ConfigError(ErrorCode.INVALID_PATTERN, `Invalid pattern "${source}": minimatch cannot compile it`);
  }
  return Object.freeze({ source, test: (key: string) => regexp.test(key), bindingKeys: bindingKeysOf(source) });
}

/**
 * `order.*` → `order.#`, `*.created` → `#.created`, `order.{created,paid}` →
 * both keys, `*` → `#`. A glob segment can span dots, so the words between the
 * first and the last wildcard segment collapse into one `#`.
 */
export function bindingKeysOf(source: string): readonly string[] {
  const keys = new Set<string>();
  for (const expanded of braceExpand(source, MINIMATCH_OPTIONS)) {
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
