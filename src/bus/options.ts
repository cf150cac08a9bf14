import type { SchedulerLike } from 'rxjs';
import { ConfigError, ErrorCode, show } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Transport } from '../transport/transport.js';
import { silentLogger } from '../logger.js';
import { redactUrl } from '../redact-url.js';
import { checkRetryPolicy, type RetryPolicy } from '../core/retry-policy.js';
import { createCatalog, type EventCatalog } from '../event/catalog.js';
import type { AnyEventDefinition } from '../event/define-event.js';

/** Options of the service queue. The defaults are those of the Python system's `QueueConfig`. */
export interface QueueOptions {
  /** Survives a broker restart. @default true */
  readonly durable?: boolean;
  /** Only this connection may use it; deleted when it closes. @default false */
  readonly exclusive?: boolean;
  /** Deleted when its last consumer goes. @default false */
  readonly autoDelete?: boolean;
  /** Extra `x-` arguments (`x-message-ttl`, `x-max-length`, ...). @default {} */
  readonly arguments?: Readonly<Record<string, unknown>>;
  /**
   * `quorum`: replicated across a cluster, and counts redeliveries so poison
   * messages are caught (must be durable, not exclusive, not auto-delete).
   * @default 'classic'
   */
  readonly type?: 'classic' | 'quorum';
}

/** TLS material for `amqps://` URLs, passed to Node's `tls.connect`. */
export interface TlsOptions {
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly passphrase?: string;
  readonly servername?: string;
  /** @default true */
  readonly rejectUnauthorized?: boolean;
}

/** Options of {@link EventBus.connect}. Every field has a default. */
export interface EventBusOptions<TEvents extends readonly AnyEventDefinition[] = readonly AnyEventDefinition[]> {
  /**
   * `amqp://user:pass@host:5672/vhost`, `amqps://...`, or `memory://NAME` for
   * the in-process broker. Several AMQP URLs (a cluster) are tried in turn.
   * @default 'memory://default'
   */
  readonly url?: string | readonly string[];
  /** Durable topic exchange events are published to. @default 'events' */
  readonly exchange?: string;
  /** This service's queue. Needed by `handle` and `on$`; a publish-only bus leaves it out. */
  readonly queue?: string;
  readonly queueOptions?: QueueOptions;
  /** Unacked deliveries in flight, and so handlers running at once. @default 16 */
  readonly prefetch?: number;
  /** A handler still running after this has failed. @default 30000 */
  readonly handlerTimeoutMs?: number;
  /** Retries of failed deliveries, on the broker; `handle(p, h, { retry })` overrides it per handler. @default none: straight to Q.dlq */
  readonly retry?: RetryPolicy;
  /**
   * A message delivered again more than this many times without being settled
   * (it keeps killing its consumer) goes to Q.dlq unprocessed. Counted by the
   * broker on quorum queues, in-process otherwise. @default 10
   */
  readonly maxRedeliveries?: number;
  /** Publishes waiting for the connection before `publish` rejects with PUBLISH_BUFFER_FULL. @default 10000 */
  readonly maxPendingPublishes?: number;
  /** Reject a publish no queue receives with PUBLISH_UNROUTABLE. @default false */
  readonly mandatory?: boolean;
  /** `publish` rejects when no confirm came within this time. @default 30000 */
  readonly publishTimeoutMs?: number;
  /** `connect` rejects when the broker did not answer within this time. @default 10000 */
  readonly connectTimeoutMs?: number;
  /** AMQP heartbeat; a dead peer is noticed after about twice this. @default 10 */
  readonly heartbeatSeconds?: number;
  /** Wait between reconnect attempts. @default 1000 */
  readonly reconnectDelayMs?: number;
  /** Shown as the connection name in the RabbitMQ management UI. @default 'rx-pubsub' */
  readonly connectionName?: string;
  readonly tls?: TlsOptions;
  /** Where rx-pubsub logs. @default silent */
  readonly logger?: Logger;
  /**
   * The event catalog: definitions made by `defineEvent`. It types `publish`,
   * `handle` and `on$` with their events, and guards the wire with their
   * schemas and versions (see `EventCatalog`). An event of another type that
   * a pattern matches reaches no handler and no stream: it is acked and counted
   * `unhandled`, so the types never lie. @default none: every event is a plain `Event`
   */
  readonly events?: TEvents;
  /**
   * For tests: the RxJS scheduler handler timeouts (`handlerTimeoutMs`) run
   * on, e.g. a `TestScheduler` for virtual time. On `memory://`, pair it with
   * the broker's (`testBus({ scheduler })` from `rx-pubsub/testing` sets both).
   * @default the event loop's timers (asyncScheduler)
   */
  readonly scheduler?: SchedulerLike;
  /**
   * A transport of your own (a `MemoryTransport` you inspect, a wrapper that
   * records or injects faults): the bus uses it instead of building one from
   * `url`, and closes it on `close()`. Give one or the other, not both.
   * @default built from `url`
   */
  readonly transport?: Transport;
}

/** Options with every default applied. */
export interface ResolvedOptions {
  readonly urls: readonly string[];
  readonly exchange: string;
  readonly queue: string | undefined;
  readonly queueOptions: Required<QueueOptions>;
  readonly prefetch: number;
  readonly handlerTimeoutMs: number;
  readonly retry: RetryPolicy | undefined;
  readonly maxRedeliveries: number;
  readonly maxPendingPublishes: number;
  readonly mandatory: boolean;
  readonly publishTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly heartbeatSeconds: number;
  readonly reconnectDelayMs: number;
  readonly connectionName: string;
  readonly tls: TlsOptions | undefined;
  readonly logger: Logger;
  readonly catalog: EventCatalog | undefined;
  /** Only present when given. */
  readonly scheduler?: SchedulerLike;
  /** Only present when given. */
  readonly transport?: Transport;
}

const DEFAULTS = {
  url: 'memory://default',
  exchange: 'events',
  prefetch: 16,
  handlerTimeoutMs: 30_000,
  publishTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  heartbeatSeconds: 10,
  reconnectDelayMs: 1_000,
  connectionName: 'rx-pubsub',
  maxRedeliveries: 10,
  maxPendingPublishes: 10_000,
  queueOptions: { durable: true, exclusive: false, autoDelete: false, arguments: {}, type: 'classic' },
} as const;

const KNOWN = new Set([
  'url', 'exchange', 'queue', 'queueOptions', 'prefetch', 'handlerTimeoutMs', 'publishTimeoutMs',
  'connectTimeoutMs', 'heartbeatSeconds', 'reconnectDelayMs', 'connectionName', 'tls', 'logger',
  'retry', 'maxRedeliveries', 'maxPendingPublishes', 'mandatory', 'events', 'scheduler', 'transport',
]);
const NAME = /^[A-Za-z0-9_.:-]{1,200}$/;

/**
 * Validates the options once and applies the defaults.
 *
 * @throws {ConfigError} `INVALID_OPTIONS`, naming the option and the fix.
 */
export function resolveOptions(options: EventBusOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options', 'must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) fail(key, `is not an option; known options are ${[...KNOWN].join(', ')}`);
  }
  return {
    urls: urlsOf(options.url ?? DEFAULTS.url),
    exchange: name('exchange', options.exchange ?? DEFAULTS.exchange),
    queue: options.queue === undefined ? undefined : name('queue', options.queue),
    queueOptions: queueOptionsOf(options.queueOptions),
    prefetch: integer('prefetch', options.prefetch ?? DEFAULTS.prefetch, 1, 65_535),
    handlerTimeoutMs: integer('handlerTimeoutMs', options.handlerTimeoutMs ?? DEFAULTS.handlerTimeoutMs, 1, 2 ** 31 - 1),
    retry: options.retry === undefined ? undefined : checkRetryPolicy(options.retry, 'EventBus option retry'),
    maxRedeliveries: integer('maxRedeliveries', options.maxRedeliveries ?? DEFAULTS.maxRedeliveries, 0, 1_000_000),
    maxPendingPublishes: integer('maxPendingPublishes', options.maxPendingPublishes ?? DEFAULTS.maxPendingPublishes, 1, 10_000_000),
    mandatory: boolean('mandatory', options.mandatory ?? false),
    publishTimeoutMs: integer('publishTimeoutMs', options.publishTimeoutMs ?? DEFAULTS.publishTimeoutMs, 1, 2 ** 31 - 1),
    connectTimeoutMs: integer('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs, 1, 2 ** 31 - 1),
    heartbeatSeconds: integer('heartbeatSeconds', options.heartbeatSeconds ?? DEFAULTS.heartbeatSeconds, 0, 3_600),
    reconnectDelayMs: integer('reconnectDelayMs', options.reconnectDelayMs ?? DEFAULTS.reconnectDelayMs, 10, 600_000),
    connectionName: string('connectionName', options.connectionName ?? DEFAULTS.connectionName),
    tls: options.tls,
    logger: loggerOf(options.logger),
    catalog: options.events === undefined ? undefined : createCatalog(options.events),
    ...(options.scheduler === undefined ? {} : { scheduler: schedulerOf(options.scheduler) }),
    ...(options.transport === undefined ? {} : { transport: transportOf(options.transport, options.url) }),
  };
}

function urlsOf(value: unknown): readonly string[] {
  const urls = Array.isArray(value) ? value : [value];
  if (urls.length === 0) fail('url', 'must name at least one broker');
  for (const url of urls) {
    if (typeof url !== 'string' || !/^(amqps?|memory):\/\/./.test(url)) {
      fail('url', `must be amqp://, amqps:// or memory://NAME (got ${typeof url === 'string' ? redactUrl(url) : String(url)})`);
    }
    try {
      new URL(url);
    } catch {
      // No cause: Node's ERR_INVALID_URL carries the whole URL, password included.
      fail('url', `is not a valid URL: ${redactUrl(url)}`);
    }
  }
  const memory = urls.filter((url: string) => url.startsWith('memory://'));
  if (memory.length > 0 && urls.length > 1) fail('url', 'a memory:// URL cannot be mixed with other URLs');
  return urls as string[];
}

function queueOptionsOf(value: QueueOptions | undefined): Required<QueueOptions> {
  const given = value ?? {};
  if (typeof given !== 'object' || given === null) fail('queueOptions', 'must be an object');
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(DEFAULTS.queueOptions, key)) fail(`queueOptions.${key}`, 'is not a queue option; use durable, exclusive, autoDelete, arguments or type');
  }
  const resolved = { ...DEFAULTS.queueOptions, ...given };
  for (const key of ['durable', 'exclusive', 'autoDelete'] as const) boolean(`queueOptions.${key}`, resolved[key]);
  if (resolved.type !== 'classic' && resolved.type !== 'quorum') fail('queueOptions.type', `must be 'classic' or 'quorum' (got ${show(resolved.type)})`);
  if (resolved.type === 'quorum' && (!resolved.durable || resolved.exclusive || resolved.autoDelete)) {
    fail('queueOptions.type', "'quorum' needs durable: true, exclusive: false and autoDelete: false");
  }
  if (typeof resolved.arguments !== 'object' || resolved.arguments === null || Array.isArray(resolved.arguments)) {
    fail('queueOptions.arguments', 'must be an object of x- arguments');
  }
  return resolved;
}

function name(option: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value) || value.startsWith('amq.')) {
    fail(option, `must be 1-200 characters of letters, digits, "_", ".", ":" or "-", not starting with "amq." (got ${show(value)})`);
  }
  return value;
}

function boolean(option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(option, 'must be true or false');
  return value;
}

function string(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) fail(option, 'must be a non-empty string');
  return value;
}

function integer(option: string, value: unknown, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    fail(option, `must be an integer from ${min} to ${max} (got ${String(value)})`);
  }
  return value as number;
}

function loggerOf(value: Logger | undefined): Logger {
  if (value === undefined) return silentLogger;
  for (const method of ['debug', 'info', 'warn', 'error', 'child'] as const) {
    if (typeof value?.[method] !== 'function') fail('logger', `must have a ${method}() method (pino and consoleLogger() do)`);
  }
  return value;
}

function transportOf(value: Transport, url: unknown): Transport {
  if (url !== undefined) fail('transport', 'and url cannot both be given: the transport already knows its broker');
  for (const method of ['connect', 'publish', 'consumer', 'close'] as const) {
    if (typeof value?.[method] !== 'function') fail('transport', `must implement Transport (no ${method}() method)`);
  }
  return value;
}

function schedulerOf(value: SchedulerLike): SchedulerLike {
  if (typeof value?.now !== 'function' || typeof value?.schedule !== 'function') {
    fail('scheduler', 'must be an RxJS scheduler (with now() and schedule()), e.g. a TestScheduler');
  }
  return value;
}

function fail(option: string, problem: string, cause?: unknown): never {
  throw new ConfigError(ErrorCode.INVALID_OPTIONS, `EventBus option ${option} ${problem}`, { cause });
}
