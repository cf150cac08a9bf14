import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { compilePattern } from '../../src/routing/pattern.js';
import { Registry } from '../../src/routing/registry.js';

/** The targets of the routes matching `key`, in the order the registry gives them. */
function targetsFor<T>(registry: Registry<T>, key: string): T[] {
  return registry.match(key).map((route) => route.target);
}

describe('registry', () => {
  it('registry - matches in registration order, whatever the pattern', () => {
    const registry = new Registry<string>();
    registry.add('*', 'everything');
    registry.add('order.created', 'exact');
    registry.add('order.*', 'orders');
    registry.add('user.*', 'users');
    registry.add('*.created', 'created');

    expect(targetsFor(registry, 'order.created')).toEqual(['everything', 'exact', 'orders', 'created']);
    expect(targetsFor(registry, 'user.created')).toEqual(['everything', 'users', 'created']);
    expect(targetsFor(registry, 'order.paid')).toEqual(['everything', 'orders']);
  });

  it('registry - a key no pattern matches gives no routes', () => {
    const registry = new Registry<string>();
    registry.add('order.*', 'orders');
    expect(registry.match('user.created')).toEqual([]);
  });

  it('registry - the same pattern registered twice gives two routes', () => {
    const registry = new Registry<string>();
    const pattern = compilePattern('order.*');
    registry.add(pattern, 'first');
    registry.add(pattern, 'second');
    expect(targetsFor(registry, 'order.paid')).toEqual(['first', 'second']);
    expect(registry.match('order.paid')[0]?.pattern).toBe(pattern);
    expect(registry.size).toBe(2);
  });

  it('registry - a route added after a match is found on the next match (cache invalidated)', () => {
    const registry = new Registry<string>();
    registry.add('order.*', 'orders');
    expect(targetsFor(registry, 'order.created')).toEqual(['orders']);
    // The key is now cached; a new route must still be seen.
    registry.add('*.created', 'created');
    expect(targetsFor(registry, 'order.created')).toEqual(['orders', 'created']);
  });

  it('registry - a key cached with no routes sees a route added later', () => {
    const registry = new Registry<string>();
    expect(targetsFor(registry, 'user.created')).toEqual([]);
    registry.add('user.*', 'users');
    expect(targetsFor(registry, 'user.created')).toEqual(['users']);
  });

  it('registry - a removed route is gone from the next match (cache invalidated)', () => {
    const registry = new Registry<string>();
    const removeOrders = registry.add('order.*', 'orders');
    registry.add('*', 'everything');
    expect(targetsFor(registry, 'order.paid')).toEqual(['orders', 'everything']);
    removeOrders();
    expect(targetsFor(registry, 'order.paid')).toEqual(['everything']);
    expect(registry.routes().map((r) => r.target)).toEqual(['everything']);
  });

  it('registry - remove is idempotent and removes only its own route', () => {
    const registry = new Registry<string>();
    const pattern = compilePattern('order.*');
    const removeFirst = registry.add(pattern, 'first');
    registry.add(pattern, 'second');
    removeFirst();
    removeFirst();
    removeFirst();
    expect(registry.size).toBe(1);
    expect(targetsFor(registry, 'order.paid')).toEqual(['second']);
  });

  it('registry - routes() lists every route in registration order and size counts them', () => {
    const registry = new Registry<number>();
    registry.add('b.*', 1);
    registry.add('a.*', 2);
    registry.add('c.*', 3);
    expect(registry.routes().map((r) => [r.pattern.source, r.target])).toEqual([['b.*', 1], ['a.*', 2], ['c.*', 3]]);
    expect(registry.size).toBe(3);
  });

  it('registry - still matches correctly after more distinct keys than the cache holds', () => {
    const registry = new Registry<string>();
    registry.add('order.*', 'orders');
    for (let i = 0; i < 10_050; i++) registry.match(`other.k${i}`);
    expect(targetsFor(registry, 'order.paid')).toEqual(['orders']);
    expect(targetsFor(registry, 'other.k1')).toEqual([]);
  });

  it('registry - add refuses an invalid pattern and registers nothing', () => {
    const registry = new Registry<string>();
    expect(() => registry.add('a b', 'bad')).toThrow(ConfigError);
    expect(registry.size).toBe(0);
  });
});
