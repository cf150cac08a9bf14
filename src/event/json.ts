import { ConfigError, ErrorCode, isRxPubsubError, messageOf, show } from '../errors.js';

/** A value that survives `JSON.stringify` → `JSON.parse` unchanged. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/**
 * How many arrays and objects `data` may nest in one another (`{ a: [1] }`
 * is two). Deeper data is refused (`INVALID_DATA`) when an
 * event is made and when one arrives: walking it would need a stack frame per
 * level, and no sensible event needs a hundred.
 */
export const MAX_DATA_DEPTH = 100;

/**
 * Copies `value` as deep-frozen plain JSON, or throws a ConfigError naming the
 * first offending path (`data.items[2].at`). Object properties whose value is
 * `undefined` are dropped, as `JSON.stringify` drops them; everywhere else
 * `undefined` (an array slot, the root) is refused because it would not round-trip.
 * Never throws anything but a ConfigError: a getter or Proxy trap that throws
 * is reported at its path.
 */
export function toFrozenJson(value: unknown, path = 'data'): Json {
  try {
    return copyFast(value, 0);
  } catch {
    // Something is off (or something threw): walk again, slowly, to name what and where.
    return copy(value, path, new Set());
  }
}

/** Thrown by the fast walk; never escapes. */
/* eslint-disable @typescript-eslint/only-throw-error -- NOT_PLAIN, a symbol, is thrown by the fast path and caught in this file to fall back
   to the careful copy: no Error, so no stack trace captured on the hot path. */
const NOT_PLAIN = Symbol('not plain JSON');

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
      if (depth >= MAX_DATA_DEPTH) throw NOT_PLAIN; // also a cycle
      if (Array.isArray(value)) {
        const out = new Array<Json>(value.length);
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined) throw NOT_PLAIN; // also a hole
          out[i] = copyFast(item, depth + 1);
        }
        return Object.freeze(out);
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if ((proto !== Object.prototype && proto !== null) || Object.getOwnPropertySymbols(value).length > 0) throw NOT_PLAIN;
      const out: Record<string, Json> = {};
      for (const key of Object.keys(value)) {
        const child = (value as Record<string, unknown>)[key];
        if (child === undefined) continue;
        if (key === '__proto__')
          Object.defineProperty(out, key, { value: copyFast(child, depth + 1), enumerable: true, writable: true, configurable: true });
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

// `ancestors` are the objects above this one: their count is the depth, so the walk stops before the stack would.
function copyObject(value: object, path: string, ancestors: Set<object>): Json {
  if (ancestors.has(value)) refuse(path, 'is a circular reference');
  if (ancestors.size >= MAX_DATA_DEPTH) refuse(path, `is nested deeper than ${MAX_DATA_DEPTH} levels (MAX_DATA_DEPTH)`);
  ancestors.add(value);
  try {
    if (read(path, () => Array.isArray(value))) return copyArray(value as readonly unknown[], path, ancestors);
    const proto: unknown = read<unknown>(path, () => Object.getPrototypeOf(value));
    if (proto !== Object.prototype && proto !== null) {
      refuse(path, `${describe(value)} is not a plain object; convert it first (a Date to toISOString(), a Map to Object.fromEntries())`);
    }
    if (read(path, () => Object.getOwnPropertySymbols(value)).length > 0) refuse(path, 'has symbol keys');
    const out: Record<string, Json> = {};
    for (const key of read(path, () => Object.keys(value))) {
      const childPath = `${path}${keyPath(key)}`;
      const child: unknown = read(childPath, () => (value as Record<string, unknown>)[key]);
      if (child === undefined) continue;
      // defineProperty: a "__proto__" key from JSON.parse is data, not a prototype.
      Object.defineProperty(out, key, { value: copy(child, childPath, ancestors), enumerable: true, writable: true, configurable: true });
    }
    return Object.freeze(out);
  } finally {
    ancestors.delete(value);
  }
}

function copyArray(value: readonly unknown[], path: string, ancestors: Set<object>): Json {
  const out: Json[] = [];
  const length = read(path, () => value.length);
  for (let i = 0; i < length; i++) {
    const itemPath = `${path}[${i}]`;
    if (!read(itemPath, () => i in value)) refuse(itemPath, 'is a hole in a sparse array');
    const child = read(itemPath, () => value[i]);
    if (child === undefined) refuse(itemPath, 'is undefined, which JSON turns into null');
    out.push(copy(child, itemPath, ancestors));
  }
  return Object.freeze(out);
}

/** What `get` returns; when it throws (a getter, a Proxy trap), a ConfigError naming `path`. */
function read<T>(path: string, get: () => T): T {
  try {
    return get();
  } catch (error) {
    if (isRxPubsubError(error)) throw error;
    return refuse(path, `cannot be read (${messageOf(error)})`, error);
  }
}

/** The longest key shown in a path; a longer one is cut, so a hostile key cannot make the message huge. */
const MAX_KEY_SHOWN = 64;

/** `.name` or `["odd key"]`: how a key is written in a path such as `data.items[2].at`. */
export function keyPath(key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key) && key.length <= MAX_KEY_SHOWN) return `.${key}`;
  return `[${JSON.stringify(key.length > MAX_KEY_SHOWN ? `${key.slice(0, MAX_KEY_SHOWN)}…` : key)}]`;
}

/** `a Date`, `BigInt 5n`, `a function`: what the value is, for the message. Never throws. */
function describe(value: unknown): string {
  if (typeof value === 'bigint') return `BigInt ${show(value)}`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object' && value !== null) {
    try {
      const name: unknown = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return typeof name === 'string' && name !== '' ? `a ${name}` : 'a non-plain object';
    } catch {
      return 'an object that cannot be inspected';
    }
  }
  return show(value);
}

function refuse(path: string, why: string, cause?: unknown): never {
  throw new ConfigError(ErrorCode.INVALID_DATA, `${path} ${why}: event data must be plain JSON`, cause === undefined ? {} : { cause });
}

/**
 * Freezes what `JSON.parse` made, in place, or throws a ConfigError
 * (`INVALID_DATA`) for data nested deeper than {@link MAX_DATA_DEPTH}, naming
 * the path: JSON.parse itself takes any depth, this walk must not.
 */
export function freezeParsed(value: unknown, path = 'data'): Json {
  try {
    return deepFreeze(value as Json, 0);
  } catch {
    // Too deep: let the slow walk name the path (it stops at the same bound).
    return copy(value, path, new Set());
  }
}

/** Freezes a JSON value and everything in it, in place. */
function deepFreeze(value: Json, depth: number): Json {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    if (depth >= MAX_DATA_DEPTH) throw NOT_PLAIN;
    for (const child of Object.values(value)) deepFreeze(child, depth + 1);
    Object.freeze(value);
  }
  return value;
}
