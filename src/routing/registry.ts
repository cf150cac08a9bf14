import { compilePattern, type Pattern } from './pattern.js';

/** One registration: a compiled pattern and what it routes to. */
export interface Route<T> {
  /** The compiled pattern the route matches routing keys with. */
  readonly pattern: Pattern;
  /** What it routes to: a handler, a stream's subscriber. */
  readonly target: T;
}

const CACHE_LIMIT = 10_000;

/**
 * Patterns → targets (handlers, streams), matched per routing key. Matches are
 * cached per key and the cache is dropped whenever a route is added or removed.
 *
 * @example
 * const registry = new Registry<string>();
 * const remove = registry.add('order.*', 'billing');
 * registry.match('order.created').map((route) => route.target); // ['billing']
 * remove();
 */
export class Registry<T> {
  private readonly all = new Set<Route<T>>();
  private cache = new Map<string, readonly Route<T>[]>();

  /** Adds a route and returns the function that removes it (idempotent). */
  add(pattern: string | Pattern, target: T): () => void {
    const route: Route<T> = { pattern: typeof pattern === 'string' ? compilePattern(pattern) : pattern, target };
    this.all.add(route);
    this.cache.clear();
    return () => {
      if (this.all.delete(route)) this.cache.clear();
    };
  }

  /** The routes whose pattern matches `routingKey`, in registration order. */
  match(routingKey: string): readonly Route<T>[] {
    const cached = this.cache.get(routingKey);
    if (cached) return cached;
    const matched = [...this.all].filter((route) => route.pattern.test(routingKey));
    if (this.cache.size >= CACHE_LIMIT) this.cache = new Map();
    this.cache.set(routingKey, matched);
    return matched;
  }

  /** Every route, in registration order. */
  routes(): readonly Route<T>[] {
    return [...this.all];
  }

  /** How many routes it holds. */
  get size(): number {
    return this.all.size;
  }
}
