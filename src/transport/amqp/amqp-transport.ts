import { BehaviorSubject, combineLatest, distinctUntilChanged, map, type Observable, of, switchMap } from 'rxjs';
import { ConnectionError, ErrorCode, messageOf } from '../../errors.js';
import type { Event } from '../../event/event.js';
import { eventJson } from '../../event/serializer.js';
import { redactText, redactUrl } from '../../redact-url.js';
import type {
  ConnectionState,
  ConsumerSpec,
  ConsumerStatus,
  HistoryLog,
  HistorySpec,
  OutboundMessage,
  PublishCallback,
  PublisherStatus,
  QueueConsumer,
  Transport,
} from '../transport.js';
import { closedError } from '../closed-error.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../message-limits.js';
import { loginUserOf } from './url-credentials.js';
import { AmqpConnection, type AmqpConnectionConfig } from './amqp-connection.js';
import { AmqpConsumer } from './amqp-consumer.js';
import { AmqpHistory } from './amqp-history.js';
import { AmqpPublisher } from './amqp-publisher.js';
import { combinedState } from './combined-state.js';
import { withConsumers } from '../consumer-status-keeper.js';
import type { TlsOptions } from '../tls-options.js';

/** Options of {@link AmqpTransport}: how to connect, plus the publish buffer bound. */
export interface AmqpTransportConfig extends AmqpConnectionConfig {
  /** Publishes that may wait for the connection before `publish` rejects. */
  readonly maxPendingPublishes: number;
  /** Larger message bodies are refused before sending. @default 134217728 (128 MiB, RabbitMQ's max_message_size) */
  readonly maxMessageBytes?: number;
}

/**
 * RabbitMQ through amqplib, kept alive by amqp-connection-manager. Publishing
 * and consuming use separate connections, as RabbitMQ advises: when a memory
 * or disk alarm blocks publishers, consumers keep acking, which is what frees
 * the broker. Each consumer has a channel of its own, so a channel error on
 * one side leaves the other alone.
 */
export class AmqpTransport implements Transport {
  private readonly publishing: AmqpConnection;
  private consuming: { readonly connection: AmqpConnection; readonly connected: Promise<void> } | undefined;
  private publisher: AmqpPublisher | undefined;
  private readonly consumers = new Set<AmqpConsumer>();
  private readonly histories = new Set<AmqpHistory>();
  /** The publisher and the consumers: while one of them is failing, a connected state$ says `degraded`. */
  private readonly watched = new BehaviorSubject<readonly { readonly status$: Observable<ConsumerStatus> }[]>([]);
  private readonly connections: BehaviorSubject<readonly AmqpConnection[]>;
  private closed = false;
  private closing: Promise<void> | undefined;

  /** The worst state of the publishing and consuming connections. */
  readonly state$: Observable<ConnectionState>;
  readonly loginUser: string | undefined;

  /** #private: util.inspect and JSON.stringify never show it (the URLs hold passwords). */
  readonly #config: AmqpTransportConfig;

  constructor(config: AmqpTransportConfig) {
    this.loginUser = oneLoginUserOf(config.urls, config.tls);
    this.#config = config;
    this.publishing = new AmqpConnection({ ...config, connectionName: `${config.connectionName} (publish)` });
    this.connections = new BehaviorSubject<readonly AmqpConnection[]>([this.publishing]);
    const connectionState$ = this.connections.pipe(
      switchMap((connections) => combineLatest(connections.map((c) => c.state$))),
      map(combinedState),
    );
    const consumerStatuses$ = this.watched.pipe(
      switchMap((watched) => (watched.length === 0 ? of([]) : combineLatest(watched.map((c) => c.status$)))),
    );
    this.state$ = combineLatest([connectionState$, consumerStatuses$]).pipe(
      map(([state, statuses]) => withConsumers(state, statuses)),
      distinctUntilChanged((a, b) => a.status === b.status),
    );
  }

  async connect(exchange: string): Promise<void> {
    await this.publishing.connect();
    const publisher = new AmqpPublisher(this.publishing, {
      setup: async (channel) => {
        await channel.assertExchange(exchange, 'topic', { durable: true });
      },
      setupError: (cause) => exchangeError(exchange, cause),
      maxPending: this.#config.maxPendingPublishes,
      maxMessageBytes: this.#config.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      logger: this.#config.logger.child({ channel: 'publish' }),
      // A refusal may mean the exchange was deleted, and the queues' bindings with it.
      onRepaired: () => this.redeclareConsumers(),
    });
    this.publisher = publisher;
    this.watched.next([...this.watched.value, publisher]);
    try {
      await publisher.ready();
    } catch (cause) {
      await this.close();
      throw exchangeError(exchange, cause);
    }
  }

  /**
   * The JSON text: see {@link Transport.encode}. Not its bytes: a body is kept until its confirm, and a kept
   * Buffer keeps its 8 KiB pool slab alive until a full GC (measured: +10 MB external memory at a 1,000 window).
   */
  encode(event: Event): string {
    return eventJson(event);
  }

  publish(message: OutboundMessage): Promise<void> {
    if (this.closed || !this.publisher) {
      return Promise.reject(closedError());
    }
    return this.publisher.publish(message);
  }

  publishWith(message: OutboundMessage, done: PublishCallback): void {
    if (this.closed || !this.publisher) queueMicrotask(() => done(closedError()));
    else this.publisher.publishWith(message, done);
  }

  publisherStatus(): PublisherStatus {
    return this.publisher?.publisherStatus() ?? { buffered: 0, unconfirmed: 0, blocked: false };
  }

  consumer(spec: ConsumerSpec): QueueConsumer {
    const { connection, connected } = this.consumingConnection();
    const consumer = new AmqpConsumer(
      connection,
      connected,
      spec,
      this.#config.logger.child({ queue: spec.queue.name }),
      this.#config.reconnectDelayMs,
    );
    this.consumers.add(consumer);
    this.watched.next([...this.watched.value, consumer]);
    return consumer;
  }

  /** The RabbitMQ stream `spec.stream` as an event log (see {@link HistoryLog} for how reads behave). */
  history(spec: HistorySpec): HistoryLog {
    const { logger, reconnectDelayMs, connectTimeoutMs } = this.#config;
    const history = new AmqpHistory(spec, {
      declaring: this.publishing,
      reading: () => this.consumingConnection(),
      logger: logger.child({ stream: spec.stream }),
      reopenDelayMs: reconnectDelayMs,
      connectTimeoutMs,
    });
    if (this.closed) void history.close(Date.now());
    else this.histories.add(history);
    return history;
  }

  close(timeoutMs?: number): Promise<void> {
    this.closing ??= this.shutdown(timeoutMs === undefined ? undefined : Date.now() + timeoutMs);
    return this.closing;
  }

  // Each wait on the broker ends by the deadline, or without one within connectTimeoutMs of its start.
  private async shutdown(deadline: number | undefined): Promise<void> {
    this.closed = true;
    const closeBy = (): number => deadline ?? Date.now() + this.#config.connectTimeoutMs;
    const by = closeBy();
    await Promise.all([...this.consumers].map((c) => c.close(by)));
    await Promise.all([...this.histories].map((h) => h.close(by)));
    await this.publisher?.close(deadline, closeBy);
    const connectionsBy = closeBy();
    await Promise.all([this.publishing.close(connectionsBy), this.consuming?.connection.close(connectionsBy)]);
    this.connections.complete();
    this.watched.complete();
  }

  /** What util.inspect and JSON.stringify show: a redacted summary, never a password. */
  toJSON(): object {
    return { transport: 'amqp', urls: this.#config.urls.map(redactUrl), closed: this.closed, consumers: this.consumers.size };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `AmqpTransport ${JSON.stringify(this.toJSON())}`;
  }

  private redeclareConsumers(): void {
    for (const consumer of this.consumers) {
      consumer
        .redeclare()
        .catch((error: unknown) =>
          this.#config.logger.error({ reason: redactText(messageOf(error)) }, 'could not declare the queues again'),
        );
    }
  }

  // Opened on the first consumer: a publish-only bus holds one connection.
  private consumingConnection(): { readonly connection: AmqpConnection; readonly connected: Promise<void> } {
    if (!this.consuming) {
      const connection = new AmqpConnection({ ...this.#config, connectionName: `${this.#config.connectionName} (consume)` });
      const connected = connection.connect();
      connected.catch(() => undefined); // reported through the consumer's ready()
      this.consuming = { connection, connected };
      this.connections.next([this.publishing, connection]);
    }
    return this.consuming;
  }
}

function exchangeError(exchange: string, cause: unknown): ConnectionError {
  return new ConnectionError(
    ErrorCode.TOPOLOGY_FAILED,
    `Could not declare the topic exchange "${exchange}": ${redactText(messageOf(cause))} (an exchange of another type or durability exists under that name?)`,
    { cause },
  );
}

// Several URLs logging in as different users: a copy stamped with one would be refused on the others' nodes.
function oneLoginUserOf(urls: readonly string[], tls: TlsOptions | undefined): string | undefined {
  const users = new Set(urls.map((url) => loginUserOf(url, tls)));
  const [user] = users;
  return users.size === 1 ? user : undefined;
}
