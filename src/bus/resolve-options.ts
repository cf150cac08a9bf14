/* eslint-disable @typescript-eslint/no-unnecessary-condition -- this file validates options from untyped (JavaScript) callers:
   the checks the types call impossible are its job. */
import type { SchedulerLike } from 'rxjs';
import { ConfigError, ErrorCode, isRxPubsubError, messageOf, show } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Transport } from '../transport/transport.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../transport/message-limits.js';
import { guardedLogger, silentLogger } from '../logger.js';
import { redactUrl } from '../redact-url.js';
import { Secret } from './secret.js';
import { checkRetryPolicy, type RetryPolicy } from '../core/retry-policy.js';
import { createCatalog, type EventCatalog } from '../event/catalog.js';
import type { EventBusOptions, QueueOptions, TlsOptions } from './options.js';
import { HEALTH_OPTIONS, healthOptionsOf, type ResolvedHealthOptions } from './health-options.js';
import { resolveQueueOptions } from './resolve-queue-options.js';
import { type ResolvedTelemetry, TELEMETRY_OPTION_NAMES, telemetryOptionsOf } from '../telemetry/telemetry-options.js';
import { historyOf, type HistorySpec } from './history-options.js';
import { checkLogin } from './check-login.js';
import { WIRE_OPTION_NAMES, wireOptionsOf } from './wire-options.js';
import type { WireSettings } from '../transport/wire-properties.js';

/** Options with every default applied. */
export interface ResolvedOptions extends ResolvedHealthOptions {
  /** The broker URLs, credentials included: hidden from inspect and JSON.stringify; `reveal()` them for the transport only. */
  readonly urls: Secret<readonly string[]>;
  readonly exchange: string;
  readonly queue: string | undefined;
  readonly queueOptions: Required<QueueOptions>;
  readonly prefetch: number;
  readonly handlerTimeoutMs: number;
  readonly retry: RetryPolicy | undefined;
  readonly maxRedeliveries: number;
  readonly maxPendingPublishes: number;
  readonly maxMessageBytes: number;
  readonly mandatory: boolean;
  readonly publishTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly heartbeatSeconds: number;
  readonly reconnectDelayMs: number;
  readonly connectionName: string;
  /** The opt-in message properties (`appId`, `contentEncoding`); only present when one was given. */
  readonly wire?: WireSettings;
  /** Keys and passphrases: hidden like `urls`. */
  readonly tls: Secret<TlsOptions> | undefined;
  readonly logger: Logger;
  readonly catalog: EventCatalog | undefined;
  readonly telemetry: ResolvedTelemetry;
  /** The event history `replay$` reads; only present when given. */
  readonly history?: HistorySpec;
  /** Only present when given. */
  readonly scheduler?: SchedulerLike;
  /** Only present when given. */
  readonly transport?: Transport;
}

const DEFAULTS = {
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
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
} as const;

const KNOWN = new Set([
  'url',
  'exchange',
  'queue',
  'queueOptions',
  'prefetch',
  'handlerTimeoutMs',
  'publishTimeoutMs',
  'connectTimeoutMs',
  'heartbeatSeconds',
  'reconnectDelayMs',
  'connectionName',
  'tls',
  'logger',
  'retry',
  'maxRedeliveries',
  'maxPendingPublishes',
  'maxMessageBytes',
  'mandatory',
  'events',
  'scheduler',
  'transport',
  ...HEALTH_OPTIONS,
  ...TELEMETRY_OPTION_NAMES,
  ...WIRE_OPTION_NAMES,
  'history',
]);
const NAME = /^[A-Za-z0-9_.:-]{1,200}$/;

/**
 * Validates the options once and applies the defaults.
 *
 * @throws {ConfigError} `INVALID_OPTIONS`, naming the option and the fix.
 */
export function resolveOptions(options: EventBusOptions): ResolvedOptions {
  try {
    return resolve(options);
  } catch (error) {
    if (isRxPubsubError(error)) throw error;
    // A getter or a Proxy trap of the caller's threw while we read the options.
    return fail('options', `could not be read (${messageOf(error)})`, error);
  }
}

function resolve(options: EventBusOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options', "must be an object, at least { url: 'amqp://...' }");
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) fail(key, `is not an option; known options are ${[...KNOWN].join(', ')}`);
  }
  if (options.url === undefined && options.transport === undefined) {
    fail(
      'url',
      'is required: amqp://user:pass@host:5672/vhost, amqps://..., or memory://NAME for the in-process broker (nothing leaves the process)',
    );
  }
  const resolved: ResolvedOptions = {
    urls: Secret.urls(options.url === undefined ? [] : urlsOf(options.url)),
    exchange: name('exchange', options.exchange ?? DEFAULTS.exchange),
    queue: options.queue === undefined ? undefined : name('queue', options.queue),
    queueOptions: resolveQueueOptions(options.queueOptions, options.maxRedeliveries ?? DEFAULTS.maxRedeliveries),
    prefetch: integer('prefetch', options.prefetch ?? DEFAULTS.prefetch, 1, 65_535),
    handlerTimeoutMs: integer('handlerTimeoutMs', options.handlerTimeoutMs ?? DEFAULTS.handlerTimeoutMs, 1, 2 ** 31 - 1),
    retry: options.retry === undefined ? undefined : checkRetryPolicy(options.retry, 'EventBus option retry'),
    maxRedeliveries: integer('maxRedeliveries', options.maxRedeliveries ?? DEFAULTS.maxRedeliveries, 0, 1_000_000),
    maxPendingPublishes: integer('maxPendingPublishes', options.maxPendingPublishes ?? DEFAULTS.maxPendingPublishes, 1, 10_000_000),
    // RabbitMQ caps max_message_size at 512 MiB.
    maxMessageBytes: integer('maxMessageBytes', options.maxMessageBytes ?? DEFAULTS.maxMessageBytes, 1, 536_870_912),
    mandatory: boolean('mandatory', options.mandatory ?? false),
    publishTimeoutMs: integer('publishTimeoutMs', options.publishTimeoutMs ?? DEFAULTS.publishTimeoutMs, 1, 2 ** 31 - 1),
    connectTimeoutMs: integer('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs, 1, 2 ** 31 - 1),
    heartbeatSeconds: integer('heartbeatSeconds', options.heartbeatSeconds ?? DEFAULTS.heartbeatSeconds, 0, 3_600),
    reconnectDelayMs: integer('reconnectDelayMs', options.reconnectDelayMs ?? DEFAULTS.reconnectDelayMs, 10, 600_000),
    connectionName: shortString('connectionName', options.connectionName ?? DEFAULTS.connectionName),
    ...(options.appId === undefined && options.contentEncoding === undefined ? {} : { wire: wireOptionsOf(options) }),
    tls: options.tls === undefined ? undefined : new Secret(tlsOf(options.tls)),
    logger: loggerOf(options.logger),
    catalog: options.events === undefined ? undefined : createCatalog(options.events),
    ...healthOptionsOf(options),
    telemetry: telemetryOptionsOf(options),
    ...(options.scheduler === undefined ? {} : { scheduler: schedulerOf(options.scheduler) }),
    ...(options.transport === undefined ? {} : { transport: transportOf(options.transport, options.url) }),
    ...(options.history === undefined ? {} : { history: historyOf(options.history, options.exchange ?? DEFAULTS.exchange, options.queue) }),
  };
  checkLogin(resolved.urls.reveal(), resolved.tls?.reveal());
  return resolved;
}

function urlsOf(value: unknown): readonly string[] {
  const urls = Array.isArray(value) ? value : [value];
  if (urls.length === 0) fail('url', 'must name at least one broker');
  for (const url of urls) {
    if (typeof url !== 'string' || !/^(amqps?|memory):\/\/./.test(url)) {
      fail('url', `must be amqp://, amqps:// or memory://NAME (got ${shownUrl(url)})`);
    }
    try {
      new URL(url);
    } catch {
      // No cause: Node's ERR_INVALID_URL carries the whole URL, password included.
      fail('url', `is not a valid URL: ${shownUrl(url)}`);
    }
  }
  const memory = urls.filter((url: string) => url.startsWith('memory://'));
  if (memory.length > 0 && urls.length > 1) fail('url', 'a memory:// URL cannot be mixed with other URLs');
  return urls as string[];
}

/**
 * A url option as an error may show it. redactUrl knows only `scheme://user:pass@`: in a malformed one (a typo
 * in the scheme, a leading space, a URL object) whatever precedes the last `@` may be a password, so it is hidden.
 */
function shownUrl(url: unknown): string {
  const text = typeof url === 'string' ? url : show(url);
  const at = text.lastIndexOf('@');
  if (at === -1) return text;
  const redacted = redactUrl(text);
  return redacted !== text ? redacted : `***${text.slice(at)}`;
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

/** An AMQP short string: 1 to 255 bytes of UTF-8. */
function shortString(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > 255) {
    fail(
      option,
      `must be a non-empty string of at most 255 bytes (AMQP short string; got ${typeof value === 'string' ? `${Buffer.byteLength(value)} bytes` : show(value)})`,
    );
  }
  return value;
}

const TLS_KINDS = {
  ca: 'pem-list',
  cert: 'pem',
  key: 'pem',
  pfx: 'pem',
  passphrase: 'string',
  servername: 'string',
  rejectUnauthorized: 'boolean',
  minVersion: 'version',
} as const;
const TLS_VERSIONS = new Set(['TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1']);

/** The TLS options, checked field by field (Node would fail later, deep in a reconnect loop, or ignore them). */
function tlsOf(value: unknown): TlsOptions {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail('tls', 'must be an object such as { ca: readFileSync("ca.pem") }');
  const tls = value as Record<string, unknown>;
  for (const key of Object.keys(tls)) {
    const kind = (TLS_KINDS as Record<string, string>)[key];
    const field = tls[key];
    if (kind === undefined) fail(`tls.${key}`, `is not a TLS option; use ${Object.keys(TLS_KINDS).join(', ')}`);
    if (field === undefined) continue;
    const ok =
      kind === 'pem'
        ? isPem(field)
        : kind === 'pem-list'
          ? isPem(field) || (Array.isArray(field) && field.every(isPem))
          : kind === 'boolean'
            ? typeof field === 'boolean'
            : kind === 'version'
              ? TLS_VERSIONS.has(field as string)
              : typeof field === 'string';
    if (!ok) fail(`tls.${key}`, `must be ${TLS_EXPECTED[kind as keyof typeof TLS_EXPECTED]} (got ${typeof field})`);
  }
  return Object.freeze({ ...tls });
}

const TLS_EXPECTED = {
  pem: 'a string or Buffer (PEM)',
  'pem-list': 'a string or Buffer (PEM), or an array of them',
  string: 'a string',
  boolean: 'true or false',
  version: `one of ${[...TLS_VERSIONS].join(', ')}`,
} as const;

function isPem(value: unknown): boolean {
  return typeof value === 'string' || Buffer.isBuffer(value);
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
  return guardedLogger(value);
}

function transportOf(value: Transport, url: unknown): Transport {
  if (url !== undefined) fail('transport', 'and url cannot both be given: the transport already knows its broker');
  if (typeof value !== 'object' || value === null) fail('transport', 'must be an object implementing Transport');
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
