import amqplib, { type Channel, type ChannelModel, type SocketOptions } from 'amqplib';
import { ConfigError, ConnectionError, ErrorCode, messageOf } from '../errors.js';
import { redactText, redactUrl } from '../redact-url.js';
import { closedError } from '../transport/closed-error.js';
import { fatalConnectFailure, urlParameterProblem } from '../transport/amqp/connect-failure.js';
import { splitCredentials } from '../transport/amqp/url-credentials.js';
import type { TlsOptions } from '../transport/tls-options.js';
import { AmqpDeadLetterSession, brokerError, replyCodeOf } from './amqp-dead-letter-queue.js';
import { majorVersionOf, probeQueue, type TrialDeclare } from './amqp-queue-probe.js';
import type { DeadLetterBroker, DeadLetterSession, QueueReadProfile } from './dead-letter-queue.js';
import { missingExchange, missingQueue } from './missing-topology.js';

/** How to reach RabbitMQ: one URL, its password kept out of every message. */
export interface AmqpDeadLetterConfig {
  readonly url: string;
  readonly connectTimeoutMs: number;
  readonly connectionName: string;
  readonly tls: TlsOptions | undefined;
}

/**
 * The dead-letter operations' RabbitMQ: one amqplib connection of its own
 * (an operator tool needs no reconnects: an operation cut off by a connection
 * loss fails, and the broker gives back what it held), opened on first use
 * and again after a loss.
 */
export class AmqpDeadLetterBroker implements DeadLetterBroker {
  /** #private: util.inspect and JSON.stringify never show it (the URL holds a password). */
  readonly #config: AmqpDeadLetterConfig;
  private connection: Promise<ChannelModel> | undefined;
  private closed = false;

  constructor(config: AmqpDeadLetterConfig) {
    this.#config = config;
  }

  async readProfile(queue: string): Promise<QueueReadProfile> {
    await this.checkQueue(queue);
    // The broker's refusal is the answer: returned as a value, it leaves the channel (which it closes) unwrapped.
    const trial: TrialDeclare = (options) =>
      this.withChannel((channel) =>
        channel.assertQueue(queue, options).then(
          () => undefined,
          (error: unknown) => error,
        ),
      );
    const profile = await probeQueue(queue, trial);
    return { ...profile, brokerMajor: majorVersionOf((await this.connect()).connection.serverProperties) };
  }

  async checkQueue(queue: string): Promise<void> {
    await this.withChannel(async (channel) => {
      try {
        await channel.checkQueue(queue);
      } catch (error) {
        throw replyCodeOf(error) === 404 ? missingQueue(queue) : error;
      }
    });
  }

  async checkExchange(exchange: string): Promise<void> {
    if (exchange === '') return;
    await this.withChannel(async (channel) => {
      try {
        await channel.checkExchange(exchange);
      } catch (error) {
        throw replyCodeOf(error) === 404 ? missingExchange(exchange) : error;
      }
    });
  }

  async open(queue: string): Promise<DeadLetterSession> {
    return new AmqpDeadLetterSession(await this.connect(), queue);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const connection = await this.connection?.catch(() => undefined);
    this.connection = undefined;
    await connection?.close().catch(() => {});
  }

  toJSON(): object {
    return { url: redactUrl(this.#config.url), connectionName: this.#config.connectionName };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `AmqpDeadLetterBroker ${JSON.stringify(this.toJSON())}`;
  }

  private connect(): Promise<ChannelModel> {
    if (this.closed) return Promise.reject(closedError());
    if (this.connection === undefined) {
      const opening = this.openConnection();
      this.connection = opening;
      opening.then(
        (model) => model.on('close', () => this.connection === opening && (this.connection = undefined)),
        () => this.connection === opening && (this.connection = undefined),
      );
    }
    return this.connection;
  }

  private async openConnection(): Promise<ChannelModel> {
    const { url: given, connectTimeoutMs, connectionName, tls } = this.#config;
    const where = redactUrl(given);
    const badParameter = urlParameterProblem(given);
    if (badParameter !== undefined)
      throw new ConnectionError(ErrorCode.CONNECTION_FAILED, `Cannot connect to RabbitMQ at ${where}: ${badParameter}`);
    // The password travels in a closure (the credentials), never in the URL amqplib keeps.
    const { url, credentials } = splitCredentials(given);
    try {
      const model = await amqplib.connect(url, {
        credentials,
        noDelay: true,
        timeout: connectTimeoutMs,
        clientProperties: { connection_name: connectionName, product: 'rx-pubsub' },
        ...(tls ?? {}),
      } as SocketOptions);
      // A connection error is followed by 'close', which ends whatever runs on it; without a listener it would crash.
      model.on('error', () => {});
      return model;
    } catch (error) {
      const reason = redactText(messageOf(error));
      const fatal = fatalConnectFailure(error);
      throw new ConnectionError(ErrorCode.CONNECTION_FAILED, `RabbitMQ at ${where} ${fatal ?? `did not answer (${reason})`}`, {
        cause: new Error(reason),
        retriable: fatal === undefined,
      });
    }
  }

  /** Runs `work` on a channel of its own, closed afterwards (a refused call closes it anyway). */
  private async withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    let channel: Channel;
    try {
      channel = await (await this.connect()).createChannel();
    } catch (error) {
      throw brokerError(error, 'open a channel');
    }
    channel.on('error', () => {});
    try {
      return await work(channel);
    } catch (error) {
      throw error instanceof ConfigError ? error : brokerError(error, 'inspect the queue');
    } finally {
      await channel.close().catch(() => {});
    }
  }
}
