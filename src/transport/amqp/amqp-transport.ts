import type { Observable } from 'rxjs';
import { ConnectionError, ErrorCode, messageOf } from '../../errors.js';
import type { ConnectionState, ConsumerSpec, OutboundMessage, QueueConsumer, Transport } from '../transport.js';
import { AmqpConnection, type AmqpConnectionConfig } from './amqp-connection.js';
import { AmqpConsumer } from './amqp-consumer.js';
import { AmqpPublisher } from './amqp-publisher.js';

/**
 * RabbitMQ through amqplib. One connection, kept alive by
 * amqp-connection-manager; a confirm channel for publishing and a channel per
 * consumer, so a slow consumer never holds up publishes and a channel error
 * on one side leaves the other alone.
 */
export class AmqpTransport implements Transport {
  private readonly connection: AmqpConnection;
  private publisher: AmqpPublisher | undefined;
  private readonly consumers = new Set<AmqpConsumer>();
  private closed = false;

  readonly state$: Observable<ConnectionState>;

  constructor(private readonly config: AmqpConnectionConfig) {
    this.connection = new AmqpConnection(config);
    this.state$ = this.connection.state$;
  }

  async connect(exchange: string): Promise<void> {
    await this.connection.connect();
    const publisher = new AmqpPublisher(
      this.connection,
      async (channel) => void (await channel.assertExchange(exchange, 'topic', { durable: true })),
      this.config.logger.child({ channel: 'publish' }),
    );
    this.publisher = publisher;
    try {
      await publisher.ready();
    } catch (cause) {
      await this.close();
      throw new ConnectionError(
        ErrorCode.TOPOLOGY_FAILED,
        `Could not declare the topic exchange "${exchange}": ${messageOf(cause)} (an exchange of another type or durability exists under that name?)`,
        { cause },
      );
    }
  }

  publish(message: OutboundMessage): Promise<void> {
    if (this.closed || !this.publisher) {
      return Promise.reject(new ConnectionError(ErrorCode.CLOSED, 'The transport is closed: connect a new bus to publish'));
    }
    return this.publisher.publish(message);
  }

  consumer(spec: ConsumerSpec): QueueConsumer {
    const consumer = new AmqpConsumer(
      this.connection,
      spec,
      this.config.logger.child({ queue: spec.queue.name }),
      this.config.reconnectDelayMs,
    );
    this.consumers.add(consumer);
    return consumer;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.close()));
    await this.publisher?.close();
    await this.connection.close();
  }
}
