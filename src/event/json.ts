import { ConfigError, ErrorCode } from '../errors.js';

/** A value that survives `JSON.stringify` → `JSON.parse` unchanged. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/**
 * Copies `value` as deep-frozen plain JSON, or throws a ConfigError naming the
 * first offending path (`data.items[2].at`). Object properties whose value is
 * `undefined` are dropped, as `JSON.stringify` drops them; everywhere else
 * `undefined` (an array slot, the root) is refused because it would not round-trip.
 */
export function toFrozenJson(value: unknown, path = 'data'): Json {
  try {
    return copyFast(value, 0);
  } catch (error) {
    if (error !== NOT_PLAIN) throw error;
    // Something is off: walk again, slowly, to name what and where.
    return copy(value, path, new Set());
  }
}

/** Thrown by the fast walk; never escapes. */
const NOT_PLAIN = Symbol('not plain JSON');
/** Deeper than this, the fast walk hands over (a cycle looks like endless depth). */
const FAST_DEPTH = 64;

// The common case, valid data, without building a path string per key or tracking ancestors.
function copyFast(value: unknown, depth: number): Json {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value;
      throw NOT_PLAIN;
    case 'object': {
      if (value === null) return null;
      if (depth > FAST_DEPTH) throw NOT_PLAIN;
      if (Array.isArray(value)) {
        const out = new Array<Json>(value.length);
        for (let i = 0; i < value.length; i++) {
          if (value[i] === undefined) throw NOT_PLAIN; // also a hole
          out[i] = copyFast(value[i], depth + 1);
        }
        return Object.freeze(out);
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if ((proto !== Object.prototype && proto !== null) || Object.getOwnPropertySymbols(value).length > 0) throw NOT_PLAIN;
      const out: Record<string, Json> = {};
      for (const key of Object.keys(value)) {
        const child = (value as Record<string, unknown>)[key];
        if (child === undefined) continue;
        if (key === '__proto__') Object.defineProperty(out, key, { value: copyFast(child, depth + 1), enumerable: true, writable: true, configurable: true });
        else out[key] = copyFast(child, depth + 1);
      }
      return Object.freeze(out);
    }
    default:
      throw NOT_PLAIN;
  }
}

function copy(value: unknown, path: string, ancestors: Set<object>): Json {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) refuse(path, `${value} is not a JSON number`);
      return value;
    case 'object':
      if (value === null) return null;
      return copyObject(value, path, ancestors);
    default:
      return refuse(path, `${describe(value)} is not JSON`);
  }
}

function copyObject(value: object, path: string, ancestors: Set<object>): Json {
  if (ancestors.has(value)) refuse(path, 'is a circular reference');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return copyArray(value, path, ancestors);
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      refuse(path, `${describe(value)} is not a plain object; convert it first (a Date to toISOString(), a Map to Object.fromEntries())`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) refuse(path, 'has symbol keys');
    const out: Record<string, Json> = {};
    for (const [key, child] of Object.entries(value)) {
      if (child === undefined) continue;
      // defineProperty: a "__proto__" key from JSON.parse is data, not a prototype.
      Object.defineProperty(out, key, { value: copy(child, `${path}${keyPath(key)}`, ancestors), enumerable: true, writable: true, configurable: true });
    }
    return Object.freeze(out);
  } finally {
    ancestors.delete(value);
  }
}

function copyArray(value: readonly unknown[], path: string, ancestors: Set<object>): Json {
  const out: Json[] = [];
  for (let i = 0; i < value.length; i++) {
    if (!(i in value)) refuse(`${path}[${i}]`, 'is a hole in a sparse array');
    const child = value[i];
    if (child === undefined) refuse(`${path}[${i}]`, 'is undefined, which JSON turns into null');
    out.push(copy(child, `${path}[${i}]`, ancestors));
  }
  return Object.freeze(out);
}

function keyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `BigInt ${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object' && value !== null) return `a ${value.constructor?.name ?? 'non-plain object'}`;
  return String(value);
}

function refuse(path: string, why: string): never {
  throw new ConfigError(ErrorCode.INVALID_DATA, `${path} ${why}: event data must be plain JSON`);
}

/** Freezes a JSON value and everything in it, in place. */
export function deepFreeze(value: Json): Json {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child as Json);
    Object.freeze(value);
  }
  return value;
}
