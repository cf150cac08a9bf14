import { ConfigError, DeliveryError, ErrorCode, messageOf, show } from '../errors.js';
import type { Json } from './json.js';

/**
 * Turns the `data` of one version into the `data` of the next. It receives
 * the old version's JSON as it arrived; annotate the parameter with the old
 * shape (a type alias) to work with it.
 *
 * @example
 * type OrderCreatedV1 = { order_id: string; total: number };
 * const upcast: Upcasters = {
 *   1: (v1: OrderCreatedV1) => ({ order_id: v1.order_id, total: { amount: v1.total, currency: 'EUR' } }),
 * };
 */
// A method type, so that an upcaster whose parameter names the old shape is accepted (bivariance).
export type Upcaster = {
  /** Takes the `data` of version `n` as it arrived, returns the `data` of version `n + 1`; a throw dead-letters the delivery (`BAD_MESSAGE`). */
  upcast(data: Json): unknown;
}['upcast'];

/**
 * Upcasters by the version they start from: `upcast[n]` turns version `n`
 * data into version `n + 1`. A version 1 message reaching a version 3
 * definition goes through `upcast[1]`, then `upcast[2]`.
 */
export type Upcasters = {
  /** The upcaster from version `fromVersion` to `fromVersion + 1`. */
  readonly [fromVersion: number]: Upcaster;
};

/**
 * Checks the upcasters of a definition of `version` and returns a frozen copy.
 *
 * @throws {ConfigError} `INVALID_ARGUMENT` for a key that is not a version
 *   below `version`, or a value that is not a function.
 */
export function checkUpcasters(upcast: unknown, version: number, where: string): Readonly<Record<number, Upcaster>> {
  if (upcast === undefined) return Object.freeze({});
  if (typeof upcast !== 'object' || upcast === null || Array.isArray(upcast)) {
    throw new ConfigError(ErrorCode.INVALID_ARGUMENT, `${where} upcast must be an object such as { 1: (v1) => v2 }`);
  }
  const out: Record<number, Upcaster> = {};
  for (const [key, fn] of Object.entries(upcast)) {
    const from = Number(key);
    if (!Number.isSafeInteger(from) || from < 1 || from >= version || String(from) !== key) {
      throw new ConfigError(
        ErrorCode.INVALID_ARGUMENT,
        `${where} upcast key ${show(key)} must be a version from 1 to ${version - 1}: upcast[n] turns version n data into version n + 1`,
      );
    }
    if (typeof fn !== 'function') {
      throw new ConfigError(
        ErrorCode.INVALID_ARGUMENT,
        `${where} upcast[${from}] must be a function from version ${from} data to version ${from + 1} data`,
      );
    }
    out[from] = fn as Upcaster;
  }
  return Object.freeze(out);
}

/**
 * Brings `data` of version `from` up to version `to` through the upcasters,
 * one version at a time.
 *
 * @throws {DeliveryError} `BAD_MESSAGE` when `from` is newer than `to`, an
 *   upcaster is missing, or one throws.
 */
export function upcastData(
  routingKey: string,
  data: Json,
  from: number,
  to: number,
  upcasters: Readonly<Record<number, Upcaster>>,
): unknown {
  if (from > to) {
    throw new DeliveryError(
      ErrorCode.BAD_MESSAGE,
      `${routingKey} version ${from} is newer than this consumer knows (version ${to}): deploy a consumer that defines version ${from}, then move the message back from the dead-letter queue`,
    );
  }
  let value: unknown = data;
  for (let version = from; version < to; version++) {
    const upcaster = upcasters[version];
    if (upcaster === undefined) {
      throw new DeliveryError(
        ErrorCode.BAD_MESSAGE,
        `${routingKey} version ${from} cannot be read as version ${to}: no upcaster from version ${version} (add upcast: { ${version}: (v${version}) => v${version + 1} } to its definition)`,
      );
    }
    try {
      value = upcaster(value as Json);
    } catch (error) {
      throw new DeliveryError(ErrorCode.BAD_MESSAGE, `${routingKey} upcast from version ${version} failed: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }
  return value;
}
