import { checkRetryPolicy, type RetryPolicy } from '../core/retry-policy.js';
import { ConfigError, ConnectionError, ErrorCode, isRxPubsubError, messageOf, PublishError, type RxPubsubError, show } from '../errors.js';
import { compilePattern, type Pattern } from '../routing/pattern.js';

/*
 * The bus's arguments come from application code, which may hand over
 * anything (a revoked Proxy, getters that throw, a schema with a bug): each
 * check here turns such a value into a typed RxPubsubError, never a TypeError.
 */

/** `compilePattern`, for any value a caller passes: a typed ConfigError, never a TypeError. */
export function compiledPattern(pattern: unknown, method: string): Pattern {
  try {
    return compilePattern(pattern as string);
  } catch (error) {
    if (isRxPubsubError(error)) throw error;
    throw new ConfigError(ErrorCode.INVALID_PATTERN, `${method}(pattern): the pattern could not be read (${safeMessageOf(error)})`, {
      cause: error,
    });
  }
}

/** A function, or an object with a handle(event) method; a revoked Proxy or a throwing getter is refused here, not on the first event. */
export function checkHandler(handler: unknown, pattern: string): void {
  let ok: boolean;
  try {
    if (typeof handler === 'function') Reflect.getPrototypeOf(handler);
    ok =
      typeof handler === 'function' ||
      (typeof handler === 'object' && handler !== null && typeof (handler as { handle?: unknown }).handle === 'function');
  } catch (error) {
    throw new ConfigError(
      ErrorCode.INVALID_ARGUMENT,
      `handle("${pattern}", handler): the handler could not be read (${safeMessageOf(error)})`,
      { cause: error },
    );
  }
  if (!ok)
    throw new ConfigError(
      ErrorCode.INVALID_ARGUMENT,
      `handle("${pattern}", handler): handler must be a export function or an object with a handle(event) method`,
    );
}

export function retryOptionOf(options: unknown, pattern: string): RetryPolicy | undefined {
  const where = `handle("${pattern}") option retry`;
  try {
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new ConfigError(
        ErrorCode.INVALID_ARGUMENT,
        `handle("${pattern}", handler, options): options must be an object such as { retry }`,
      );
    }
    const retry = (options as { readonly retry?: unknown } | undefined)?.retry;
    return retry === undefined ? undefined : checkRetryPolicy(retry, where);
  } catch (error) {
    if (isRxPubsubError(error)) throw error;
    throw new ConfigError(ErrorCode.INVALID_OPTIONS, `${where} could not be read (${safeMessageOf(error)})`, { cause: error });
  }
}

// What checking or encoding an event threw: ours as is, anything else (a schema's bug, a RangeError from JSON.stringify) wrapped.
export function invalidEventError(error: unknown): RxPubsubError {
  if (isRxPubsubError(error)) return error;
  return new ConfigError(ErrorCode.INVALID_DATA, `publish(): the event could not be checked or encoded (${safeMessageOf(error)})`, {
    cause: error,
  });
}

export function publishFailure(error: unknown): RxPubsubError {
  if (isRxPubsubError(error)) return error;
  return new PublishError(ErrorCode.PUBLISH_REFUSED, `publish(): the transport failed (${safeMessageOf(error)})`, { cause: error });
}

// messageOf, for errors whose message getter throws or is not a string.
export function safeMessageOf(error: unknown): string {
  try {
    const message: unknown = messageOf(error);
    return typeof message === 'string' ? message : show(message);
  } catch {
    return 'an error whose message cannot be read';
  }
}

/** The error of a method called on a closed bus. */
export function closedBusError(method: string): ConnectionError {
  return new ConnectionError(ErrorCode.CLOSED, `${method}() on a closed bus: connect a new bus with EventBus.connect()`);
}

/** The deadline (epoch ms) of `close({ timeoutMs })`, undefined for none. @throws {ConfigError} `INVALID_OPTIONS` for a bad `timeoutMs`. */
export function closeDeadlineOf({ timeoutMs }: { readonly timeoutMs?: number }): number | undefined {
  if (timeoutMs === undefined) return undefined;
  if (!(Number.isSafeInteger(timeoutMs) && timeoutMs >= 0)) {
    throw new ConfigError(ErrorCode.INVALID_OPTIONS, `close() option timeoutMs must be an integer >= 0 (got ${String(timeoutMs)})`);
  }
  return Date.now() + timeoutMs;
}

/** `work()`'s Promise, or a rejected one when `work` throws: a method returning a Promise never throws. */
export function promiseOf<T>(work: () => Promise<T>): Promise<T> {
  try {
    return work();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** @throws {ConfigError} `INVALID_OPTIONS` when a bus without a queue is asked to consume. */
export function checkHasQueue(hasQueue: boolean, method: string, pattern: Pattern): void {
  if (!hasQueue)
    throw new ConfigError(
      ErrorCode.INVALID_OPTIONS,
      `${method}("${pattern.source}") needs a queue: pass queue: 'my-service' to EventBus.connect`,
    );
}
