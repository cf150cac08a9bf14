import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { benchEvent, ROUTING_KEY, wireProperties } from './bench-event.js';

/**
 * The runner's own amqplib connection: declares what a child uses before it
 * starts, pre-fills queues (untimed, outside the child) and deletes
 * everything afterwards. Reconnects when the broker closed it meanwhile.
 */
export class AmqpAdmin {
  private open: Promise<{ connection: ChannelModel; channel: ConfirmChannel }> | undefined;
  version = 'unknown';

  constructor(private readonly url: string) {}

  private session(): Promise<{ connection: ChannelModel; channel: ConfirmChannel }> {
    this.open ??= (async () => {
      const connection = await amqp.connect(this.url, { noDelay: true });
      const forget = () => void (this.open = undefined);
      connection.on('close', forget);
      connection.on('error', forget);
      const channel = await connection.createConfirmChannel();
      channel.on('close', forget);
      channel.on('error', forget);
      const server = (connection.connection as unknown as { serverProperties?: { version?: string } }).serverProperties;
      this.version = server?.version ?? this.version;
      return { connection, channel };
    })().catch((error: unknown) => {
      this.open = undefined;
      throw error;
    });
    return this.open;
  }

  private async channel(): Promise<ConfirmChannel> {
    return (await this.session()).channel;
  }

  /** Connects (to fail early when no broker answers) and returns the server's version. */
  async connect(): Promise<string> {
    await this.session();
    return this.version;
  }

  /** A durable topic exchange, as rx-pubsub declares it. */
  async exchange(name: string): Promise<void> {
    await (await this.channel()).assertExchange(name, 'topic', { durable: true });
  }

  /** A plain durable queue bound to `exchange` by `bench.created`, for the clients that do not declare their own. */
  async queue(name: string, exchange: string): Promise<void> {
    await (await this.channel()).assertQueue(name, { durable: true });
    await this.bind(name, exchange);
  }

  async bind(queue: string, exchange: string): Promise<void> {
    await (await this.channel()).bindQueue(queue, exchange, ROUTING_KEY);
  }

  /** Publishes `count` events in rx-pubsub's wire format through `exchange`, confirmed, `window` at a time. */
  async prefill(exchange: string, count: number, window = 5_000): Promise<void> {
    const channel = await this.channel();
    for (let start = 0; start < count; start += window) {
      for (let seq = start; seq < Math.min(count, start + window); seq++) {
        const event = benchEvent(seq);
        if (!channel.publish(exchange, ROUTING_KEY, Buffer.from(JSON.stringify(event)), wireProperties(event))) {
          await new Promise((resolve) => channel.once('drain', resolve));
        }
      }
      await channel.waitForConfirms();
    }
  }

  /** Deletes queues (a missing one counts as empty) and the exchange; returns how many messages the queues still held. */
  async remove(queues: readonly string[], exchange: string): Promise<number> {
    const channel = await this.channel();
    let left = 0;
    for (const queue of queues) left += (await channel.deleteQueue(queue)).messageCount;
    await channel.deleteExchange(exchange);
    return left;
  }

  async close(): Promise<void> {
    const open = this.open;
    this.open = undefined;
    if (open) await (await open).connection.close();
  }
}
