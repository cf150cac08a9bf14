import type { Channel } from 'amqplib';
import { filter, firstValueFrom, Observable, timeout } from 'rxjs';
import type { Logger } from '../../logger.js';
import { closedError } from '../closed-error.js';
import { EVERY_KEY, historyTopologyError, streamDeclarationOf } from '../history-topology.js';
import type { HistoryLog, HistoryReadOptions, HistoryRecord, HistorySpec } from '../transport.js';
import type { AmqpConnection } from './amqp-connection.js';
import { StreamReader } from './stream-reader.js';

/** What {@link AmqpHistory} needs of its transport. */
export interface AmqpHistoryConfig {
  /** Where the stream is declared: the publishing connection, open once the transport connected. */
  readonly declaring: AmqpConnection;
  /** Where reads consume: the consuming connection, opened on first use. */
  readonly reading: () => { readonly connection: AmqpConnection; readonly connected: Promise<void> };
  readonly logger: Logger;
  readonly reopenDelayMs: number;
  readonly connectTimeoutMs: number;
}

/**
 * The history of an AMQP transport: a RabbitMQ stream bound to the exchange
 * with `#`, so it holds every message published there. Each read is a
 * {@link StreamReader} on a channel of its own, on the consuming connection.
 */
export class AmqpHistory implements HistoryLog {
  private readonly readers = new Set<StreamReader>();
  private closed = false;

  constructor(
    private readonly spec: HistorySpec,
    private readonly config: AmqpHistoryConfig,
  ) {}

  async declare(): Promise<void> {
    if (this.closed) throw closedError();
    const { declaring, connectTimeoutMs } = this.config;
    // A channel of its own: a refused declaration (406) closes it, and nothing else.
    let channel: Channel | undefined;
    try {
      const model = await firstValueFrom(declaring.connection$.pipe(filter(Boolean), timeout(connectTimeoutMs)));
      channel = await model.createChannel();
      channel.on('error', () => {});
      await channel.assertQueue(this.spec.stream, streamDeclarationOf(this.spec));
      await channel.bindQueue(this.spec.stream, this.spec.exchange, EVERY_KEY);
    } catch (error) {
      throw historyTopologyError(this.spec, error);
    } finally {
      channel?.close().catch(() => undefined);
    }
  }

  read(options: HistoryReadOptions): Observable<HistoryRecord> {
    return new Observable<HistoryRecord>((subscriber) => {
      if (this.closed) return subscriber.error(closedError());
      const { connection, connected } = this.config.reading();
      const context = {
        stream: this.spec.stream,
        connection,
        connected,
        logger: this.config.logger,
        reopenDelayMs: this.config.reopenDelayMs,
        closeTimeoutMs: this.config.connectTimeoutMs,
      };
      const reader = new StreamReader(context, options, subscriber);
      this.readers.add(reader);
      return () => {
        this.readers.delete(reader);
        void reader.stop();
      };
    });
  }

  /** The transport is closing: every read errors with `CLOSED`, its channel closed by `deadline`; later reads too. */
  async close(deadline: number): Promise<void> {
    this.closed = true;
    const readers = [...this.readers];
    this.readers.clear();
    await Promise.all(readers.map((reader) => reader.fail(closedError(), deadline)));
  }
}
