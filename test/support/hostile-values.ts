/**
 * Values that break whoever inspects them: the kind a handler may throw, a
 * caller may pass, or a foreign client may send. Shared by the unit tests of
 * each guarded function and by test/reliability/hostile-input.property.test.ts.
 */

const boom = (): never => {
  throw new Error('boom');
};

/** A Proxy whose every trap throws. */
export function trappedProxy(target: object = {}): object {
  return new Proxy(target, {
    get: boom,
    has: boom,
    ownKeys: boom,
    getPrototypeOf: boom,
    getOwnPropertyDescriptor: boom,
  });
}

/** A Proxy that has been revoked: `instanceof`, `Array.isArray`, any property read throw. */
export function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** An object of one property whose getter throws. */
export function throwingGetter(key: string): object {
  return Object.defineProperty({}, key, { get: boom, enumerable: true });
}

/** An Error whose `message` getter throws. */
export function errorWithThrowingMessage(): Error {
  const error = new Error('hidden');
  Object.defineProperty(error, 'message', { get: boom });
  return error;
}

/** An Error subclass whose `name` and `stack` getters throw (installed after construction, which reads them). */
export function errorWithThrowingNameAndStack(): Error {
  class Broken extends Error {}
  const error = new Broken('broken');
  Object.defineProperty(error, 'stack', { get: boom }); // first: replacing the stack formats it, which reads the name
  Object.defineProperty(error, 'name', { get: boom });
  return error;
}

/** `{ id: 1n }` without a prototype: JSON.stringify throws on the BigInt, String() on the missing toString. */
export function bigIntWithoutPrototype(): object {
  return Object.assign(Object.create(null) as object, { id: 1n });
}

/** `toJSON` and `toString` both throw. */
export function unprintable(): object {
  return { toJSON: boom, toString: boom };
}

/** Data nested `depth` arrays deep, built without recursion. */
export function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** Every hostile value by name, each made fresh. */
export const HOSTILE: readonly (readonly [name: string, make: () => unknown])[] = [
  ['a null-prototype object holding a BigInt', bigIntWithoutPrototype],
  ['a revoked Proxy', revokedProxy],
  ['a Proxy whose traps throw', () => trappedProxy()],
  ['an object whose toJSON and toString throw', unprintable],
  ['an Error whose message getter throws', errorWithThrowingMessage],
  ['an Error whose name and stack getters throw', errorWithThrowingNameAndStack],
  ['a Symbol', () => Symbol('hostile')],
  ['a function', () => () => 1],
  ['a BigInt', () => 10n],
  ['an object with a throwing getter', () => throwingGetter('x')],
  ['data nested 100,000 deep', () => nested(100_000)],
];
