import { from, isObservable, type Observable, observable as observableKey } from 'rxjs';
import { ConfigError, ErrorCode } from '../errors.js';
import { safeMessageOf } from './checked-arguments.js';

/** What `bus.publishAll` takes: events from an array or any Iterable, an AsyncIterable (an async generator), or an Observable. */
export type PublishAllSource<T> = Iterable<T> | AsyncIterable<T> | Observable<T>;

/** How a source is read: pulled (sync or async iterator) or pushed (an Observable, or an object with `Symbol.observable`). */
export type SourceKind = 'iterable' | 'async-iterable' | 'observable';

/*
 * The source comes from application code: a revoked Proxy, a getter that
 * throws or an iterator that is not one becomes a typed ConfigError
 * (INVALID_ARGUMENT), never a TypeError.
 */

/** @throws {ConfigError} `INVALID_ARGUMENT` when `source` is none of the three, or cannot be read. */
export function sourceKindOf(source: unknown): SourceKind {
  let kind: SourceKind | undefined;
  try {
    kind = kindOf(source);
  } catch (error) {
    throw invalidSource(`the source could not be read (${safeMessageOf(error)})`, error);
  }
  if (kind === undefined) throw invalidSource('the source must be an Iterable (an array), an AsyncIterable or an Observable of events');
  return kind;
}

function kindOf(source: unknown): SourceKind | undefined {
  if ((typeof source !== 'object' && typeof source !== 'function') || source === null) return undefined;
  const members = source as Record<PropertyKey, unknown>;
  if (isObservable(source) || typeof members[observableKey] === 'function') return 'observable';
  if (typeof members[Symbol.asyncIterator] === 'function') return 'async-iterable';
  if (typeof members[Symbol.iterator] === 'function') return 'iterable';
  return undefined;
}

/** A fresh iterator of `source` (each subscription reads it anew). @throws {ConfigError} `INVALID_ARGUMENT` when it yields none. */
export function iteratorOf<T>(source: unknown, kind: 'iterable' | 'async-iterable'): Iterator<T> | AsyncIterator<T> {
  const key = kind === 'iterable' ? Symbol.iterator : Symbol.asyncIterator;
  let iterator: unknown;
  let readable: boolean;
  try {
    iterator = (source as Record<symbol, () => unknown>)[key]?.();
    readable = typeof iterator === 'object' && iterator !== null && typeof (iterator as { next?: unknown }).next === 'function';
  } catch (error) {
    throw invalidSource(`the source's iterator could not be opened (${safeMessageOf(error)})`, error);
  }
  if (!readable) throw invalidSource(`the source's [${key.description ?? ''}]() returned no iterator (an object with a next() method)`);
  return iterator as Iterator<T> | AsyncIterator<T>;
}

/** The Observable of an Observable or interop source (`from` reads `Symbol.observable`). */
export function observableOf<T>(source: unknown): Observable<T> {
  try {
    return from(source as Observable<T>);
  } catch (error) {
    throw invalidSource(`the source could not be subscribed (${safeMessageOf(error)})`, error);
  }
}

/** One step of an iterator, read once: `done`, or the `value`. @throws {ConfigError} `INVALID_ARGUMENT` for a result that is not one. */
export function stepOf(result: unknown): { readonly done: true } | { readonly done: false; readonly value: unknown } {
  try {
    if (typeof result !== 'object' || result === null) throw new TypeError(`next() returned ${typeof result}`);
    const { done, value } = result as { readonly done?: unknown; readonly value?: unknown };
    return done ? { done: true } : { done: false, value };
  } catch (error) {
    throw invalidSource(`the source's iterator returned a result that could not be read (${safeMessageOf(error)})`, error);
  }
}

function invalidSource(why: string, cause?: unknown): ConfigError {
  return new ConfigError(ErrorCode.INVALID_ARGUMENT, `publishAll(source): ${why}`, cause === undefined ? undefined : { cause });
}
