import { ConfigError, ErrorCode, show } from '../errors.js';
import { guardedLogger, type Logger, silentLogger } from '../logger.js';
import { redactUrl } from '../redact-url.js';
import type { TlsOptions } from '../transport/tls-options.js';
import { memoryBrokerName } from '../transport/memory/memory-broker-name.js';

/** Options of {@link deadLetters}. */
export interface DeadLettersOptions {
  /** The broker, as the service's bus names it: `amqp://user:pass@host:5672/vhost`, `amqps://...`, or `memory://NAME` (in this process). */
  readonly url: string;
  /** The service queue `Q`, whose dead letters are in `Q.dlq`; replays to `'queue'` go back to it. */
  readonly queue: string;
  /** The topic exchange replays to `'exchange'` publish to. @default 'events' */
  readonly exchange?: string;
  /** The dead-letter queue, when it is not the bus's `Q.dlq`. @default `${queue}.dlq` */
  readonly deadLetterQueue?: string;
  /** Connecting fails after this long without an answer. @default 10000 */
  readonly connectTimeoutMs?: number;
  /** Shown in the RabbitMQ management UI. @default 'rx-pubsub dead-letters' */
  readonly connectionName?: string;
  /** TLS material for `amqps://` (a private CA, a client certificate). */
  readonly tls?: TlsOptions;
  /** Where a failing observer of a replay is reported. @default silent */
  readonly logger?: Logger;
  /**
   * You vouch that no delivery limit applies to the dead-letter queue where
   * rx-pubsub cannot see one, so that reads it gives back (`peek`, `stats`, a
   * filtered `replay` or `purge`) may be counted as deliveries on a quorum
   * queue. Needed on RabbitMQ 4 (every quorum queue has a delivery limit, 20
   * by default, unless a policy sets `delivery-limit: -1`, which AMQP cannot
   * show), and where the queue's type or arguments cannot be read. A visible
   * `x-delivery-limit` is refused all the same. @default false
   */
  readonly countedReads?: boolean;
}

/** The options, checked, with their defaults. */
export interface ResolvedDeadLettersOptions {
  readonly url: string;
  /** The in-process broker's name for `memory://NAME`, else undefined. */
  readonly memoryBroker: string | undefined;
  readonly queue: string;
  readonly deadLetterQueue: string;
  readonly exchange: string;
  readonly connectTimeoutMs: number;
  readonly connectionName: string;
  readonly tls: TlsOptions | undefined;
  readonly logger: Logger;
  readonly countedReads: boolean;
}

const KEYS = ['url', 'queue', 'exchange', 'deadLetterQueue', 'connectTimeoutMs', 'connectionName', 'tls', 'logger', 'countedReads'];

/** @throws {ConfigError} `INVALID_OPTIONS`, naming the option and the fix. */
export function resolveDeadLettersOptions(options: DeadLettersOptions): ResolvedDeadLettersOptions {
  if (typeof options !== 'object' || (options as unknown) === null) fail('options', 'must be an object: { url, queue }');
  for (const key of Object.keys(options)) if (!KEYS.includes(key)) fail(key, `is not an option; use ${KEYS.join(', ')}`);
  const { url, queue, exchange = 'events', connectTimeoutMs = 10_000, connectionName = 'rx-pubsub dead-letters', tls, logger } = options;
  const { countedReads = false } = options;
  if (typeof url !== 'string' || !/^(amqps?|memory):\/\/./.test(url) || !URL.canParse(url)) {
    // A malformed URL may hold a password anywhere: show it only when it parses as a URL redactUrl understands.
    fail(
      'url',
      `must be amqp://, amqps:// or memory://NAME (got ${typeof url === 'string' ? redactUrl(url).replace(/^[^@]*@/, '***@') : show(url)})`,
    );
  }
  const memoryBroker = memoryBrokerName(url);
  if (url.startsWith('memory://') && memoryBroker === undefined) fail('url', 'must name the in-process broker: memory://NAME');
  const deadLetterQueue = options.deadLetterQueue ?? `${name('queue', queue)}.dlq`;
  if (typeof tls !== 'undefined' && (typeof tls !== 'object' || (tls as unknown) === null)) fail('tls', 'must be an object such as { ca }');
  if (logger !== undefined && typeof (logger as Partial<Logger>).error !== 'function')
    fail('logger', 'must be a Logger (pino, consoleLogger())');
  if (typeof countedReads !== 'boolean') fail('countedReads', `must be true or false (got ${show(countedReads)})`);
  return {
    url,
    memoryBroker,
    queue: name('queue', queue),
    deadLetterQueue: name('deadLetterQueue', deadLetterQueue),
    exchange: name('exchange', exchange),
    connectTimeoutMs: integer('connectTimeoutMs', connectTimeoutMs),
    connectionName: name('connectionName', connectionName),
    tls,
    logger: logger === undefined ? silentLogger : guardedLogger(logger),
    countedReads,
  };
}

/**
 * A `limit` option of an operation: a positive integer, or `fallback` when absent.
 * @throws {ConfigError} `INVALID_ARGUMENT`
 */
export function operationLimit(operation: string, value: unknown, fallback: number, option = 'limit'): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 1) {
    throw new ConfigError(ErrorCode.INVALID_ARGUMENT, `${operation}({ ${option} }) must be a positive integer (got ${show(value)})`);
  }
  return value as number;
}

/** An AMQP name: 1 to 255 bytes. */
function name(option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || Buffer.byteLength(value) > 255) {
    fail(option, `must be a non-empty string of at most 255 bytes (got ${show(value)})`);
  }
  return value;
}

function integer(option: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1)
    fail(option, `must be a positive integer of milliseconds (got ${show(value)})`);
  return value as number;
}

function fail(option: string, problem: string): never {
  throw new ConfigError(ErrorCode.INVALID_OPTIONS, `deadLetters option ${option} ${problem}`);
}
