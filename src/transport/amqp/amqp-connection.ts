import amqp, { type AmqpConnectionManager } from 'amqp-connection-manager';
import type { ChannelModel } from 'amqplib';
import { BehaviorSubject, distinctUntilChanged, type Observable } from 'rxjs';
import { ConnectionError, ErrorCode, messageOf } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { redactText, redactUrl } from '../../redact-url.js';
import type { ConnectionState } from '../transport.js';
import { coalesceWrites, socketOf } from './coalesce-writes.js';
import { settledBy } from './settled-by.js';
import { conciseReason, fatalConnectFailure, urlParameterProblem } from './connect-failure.js';
import { splitCredentials } from './url-credentials.js';
import { backOffBetweenRounds } from './reconnect-backoff.js';
import type { TlsOptions } from '../tls-options.js';

/** How to reach RabbitMQ: the connection settings of {@link AmqpTransportConfig}, which the bus fills from its options. */
export interface AmqpConnectionConfig {
  /** One URL, or several (a cluster) tried round-robin. The vhost is the URL path. */
  readonly urls: readonly string[];
  /** AMQP heartbeat: a dead peer is noticed after about twice this (the bus's `heartbeatSeconds`, 10 by default). */
  readonly heartbeatSeconds: number;
  /** Wait before reconnecting and before the next URL, doubling after a round where every URL failed, up to 30 s (the bus uses 1000). */
  readonly reconnectDelayMs: number;
  /** Connecting fails with `ConnectionError` `CONNECTION_FAILED` (retriable) past this (the bus uses 10000). */
  readonly connectTimeoutMs: number;
  /** The connection's name in the management UI and every message's `appId`; at most 255 bytes. */
  readonly connectionName: string;
  /** Certificates for `amqps://` URLs; `undefined` for Node's defaults. */
  readonly tls: TlsOptions | undefined;
  /** Where connection events go: pass `silentLogger` for none. */
  readonly logger: Logger;
}

/**
 * One AMQP connection kept alive by amqp-connection-manager (reconnects,
 * heartbeats, round-robin over a cluster). Channels are ours: see ManagedChannel.
 */
export class AmqpConnection {
  private readonly manager: AmqpConnectionManager;
  private readonly state = new BehaviorSubject<ConnectionState>({ status: 'connecting' });
  private readonly current = new BehaviorSubject<ChannelModel | undefined>(undefined);
  private closed = false;
  private url = '';

  /** Connection lifecycle: connecting → connected ⇄ disconnected / blocked → closed. */
  readonly state$: Observable<ConnectionState> = this.state.pipe(distinctUntilChanged());
  /** The live amqplib connection, `undefined` while down. */
  readonly connection$: Observable<ChannelModel | undefined> = this.current.pipe(distinctUntilChanged());

  /** #private: util.inspect and JSON.stringify never show it (the URLs hold passwords). */
  readonly #config: AmqpConnectionConfig;
  /** The URLs as amqp-connection-manager has them (no password), and names them in `connectFailed`. */
  readonly #urls: ReadonlySet<string>;

  constructor(config: AmqpConnectionConfig) {
    this.#config = config;
    const log = config.logger;
    const connectionOptions = {
      // Nagle's algorithm turns a 0.6 ms round trip into ~18 ms at moderate rates.
      noDelay: true,
      timeout: config.connectTimeoutMs,
      clientProperties: { connection_name: config.connectionName, product: 'rx-pubsub' },
      ...(config.tls ?? {}),
    };
    // amqp-connection-manager keeps its URLs for every reconnect: give it none with a password in it.
    const urls = config.urls.map((url) => {
      const split = splitCredentials(url);
      return { url: split.url, connectionOptions: { credentials: split.credentials, ...connectionOptions } as never };
    });
    this.#urls = new Set(urls.map((u) => u.url));
    this.manager = amqp.connect(urls, {
      heartbeatIntervalInSeconds: config.heartbeatSeconds,
      reconnectTimeInSeconds: config.reconnectDelayMs / 1000,
      connectionOptions: connectionOptions as never,
    });
    backOffBetweenRounds(this.manager, urls.length, config.reconnectDelayMs);
    this.manager.on('connect', ({ connection, url }) => {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- amqp-connection-manager passes the url as the user gave it (string, object or null)
      const given: unknown = typeof url === 'object' && url !== null && 'url' in url ? url.url : url;
      const shown = redactUrl(typeof given === 'string' ? given : 'amqp://(object)');
      log.info({ url: shown }, 'connected');
      this.url = shown;
      const socket = socketOf(connection as unknown as ChannelModel);
      if (socket) coalesceWrites(socket);
      else log.debug({}, 'amqplib socket not found: writes are not coalesced');
      // amqp-connection-manager's types predate amqplib 2; at run time this is the promise API's ChannelModel.
      this.current.next(connection as unknown as ChannelModel);
      this.state.next({ status: 'connected', url: shown });
    });
    this.manager.on('disconnect', ({ err }) => {
      if (this.closed) return;
      const reason = redactText(messageOf(err));
      log.warn({ reason }, 'disconnected');
      this.current.next(undefined);
      this.state.next({ status: 'disconnected', reason });
    });
    this.manager.on('connectFailed', ({ err, url }) => {
      if (!this.closed)
        log.warn(
          { url: redactUrl(typeof url === 'string' ? url : 'amqp://(object)'), reason: redactText(messageOf(err)) },
          'connect failed',
        );
    });
    this.manager.on('blocked', ({ reason }) => this.state.next({ status: 'blocked', reason }));
    this.manager.on('unblocked', () => this.state.next(this.connectedState()));
  }

  /** Whether the broker blocked this connection (memory or disk alarm): it reads nothing we publish. */
  get blocked(): boolean {
    return this.state.value.status === 'blocked';
  }

  /** The live connection, if any. */
  get connection(): ChannelModel | undefined {
    return this.current.value;
  }

  /**
   * Waits for the first connection.
   * @throws {ConnectionError} `CONNECTION_FAILED`: at once (`retriable: false`, with the real reason) when
   *   no wait can help (login or vhost refused, TLS failure, a bad URL parameter) on every URL (with several,
   *   after one round over them: another node may be fine); after `connectTimeoutMs` (`retriable: true`) when
   *   no broker answered.
   */
  async connect(): Promise<void> {
    const where = this.#config.urls.map(redactUrl).join(', ');
    const badParameter = this.#config.urls.map(urlParameterProblem).find((problem) => problem !== undefined);
    if (badParameter !== undefined) {
      await this.close(Date.now());
      throw new ConnectionError(ErrorCode.CONNECTION_FAILED, `Cannot connect to RabbitMQ at ${where}: ${badParameter}`);
    }
    let lastFailure: unknown;
    const failures = new Map<string, unknown>();
    let onFailure: (({ err, url }: { err: Error; url: unknown }) => void) | undefined;
    const fatal = new Promise<never>((_resolve, reject) => {
      onFailure = ({ err, url }) => {
        lastFailure = err;
        failures.set(typeof url === 'string' ? url : '', err);
        const hopeless = [...failures.values()].every((failure) => fatalConnectFailure(failure) !== undefined);
        if (failures.size >= this.#urls.size && hopeless) reject(err);
      };
      this.manager.on('connectFailed', onFailure);
    });
    try {
      await Promise.race([this.manager.connect({ timeout: this.#config.connectTimeoutMs }), fatal]);
    } catch (error) {
      // Now: an attempt still in flight (amqp-connection-manager's close waits for it) ends on its own.
      await this.close(Date.now());
      throw this.connectError(where, error, lastFailure, failures);
    } finally {
      if (onFailure) this.manager.removeListener('connectFailed', onFailure);
    }
  }

  private connectError(where: string, error: unknown, lastFailure: unknown, failures: ReadonlyMap<string, unknown>): ConnectionError {
    const cause = lastFailure ?? error;
    const reason = redactText(messageOf(cause));
    // With several URLs, each one's last failure: a cluster's nodes may fail differently.
    const reasons =
      failures.size > 1 ? [...failures].map(([url, failure]) => `${redactUrl(url)}: ${reasonOf(failure)}`).join('; ') : reasonOf(cause);
    const fatal = fatalConnectFailure(cause);
    if (fatal !== undefined) {
      return new ConnectionError(ErrorCode.CONNECTION_FAILED, `RabbitMQ at ${where} ${fatal} (${reasons})`, {
        cause: new Error(reason),
        retriable: false,
      });
    }
    const last = lastFailure === undefined ? '' : ` (last attempt${failures.size > 1 ? 's' : ''}: ${reasons})`;
    return new ConnectionError(
      ErrorCode.CONNECTION_FAILED,
      `No RabbitMQ answered at ${where} within ${this.#config.connectTimeoutMs} ms${last}: start one (docker compose up -d, or rabbitmq-server -detached) or fix the URL`,
      { cause: new Error(reason), retriable: true },
    );
  }

  /**
   * Closes gracefully, waiting for the broker's answer until `deadline` (epoch
   * ms; default: `connectTimeoutMs` from now). A blocked broker reads nothing
   * from the connection, a stalled network delivers nothing: past the deadline
   * the socket is destroyed.
   */
  async close(deadline = Date.now() + this.#config.connectTimeoutMs): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const model = this.current.value;
    this.current.next(undefined);
    const closing = this.manager.close().catch((error: unknown) => {
      this.#config.logger.debug({ reason: redactText(messageOf(error)) }, 'error while closing the connection');
    });
    if (!(await settledBy(closing, deadline)) && model !== undefined) {
      const socket = socketOf(model);
      this.#config.logger.warn({ destroyed: socket !== undefined }, 'the broker did not answer the close in time: connection destroyed');
      // With an error: amqplib tidies up (stops its heartbeat timers, which would keep the process alive for
      // two heartbeats) only on a socket 'error' or 'end', and reports it as a connection 'error', which nobody needs now.
      model.on('error', () => {});
      (socket as { destroy?: (error?: Error) => void } | undefined)?.destroy?.(
        new Error('rx-pubsub: the broker did not answer the close in time'),
      );
    }
    this.state.next({ status: 'closed' });
    this.state.complete();
    this.current.complete();
  }

  /** What util.inspect and JSON.stringify show: the redacted URLs and the state, never a password. */
  toJSON(): object {
    return { urls: this.#config.urls.map(redactUrl), connectionName: this.#config.connectionName, state: this.state.value };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `AmqpConnection ${JSON.stringify(this.toJSON())}`;
  }

  private connectedState(): ConnectionState {
    return this.current.value ? { status: 'connected', url: this.url } : this.state.value;
  }
}

function reasonOf(failure: unknown): string {
  return conciseReason(redactText(messageOf(failure)));
}
