import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { benchEvent, ROUTING_KEY, wireProperties } from './bench-event.js';

/** What the runner's pre-fill keeps unconfirmed at most: 1 MB events must not pile up 5,000 deep in its memory. */
const PREFILL_BYTES = 32 * 2 ** 20;

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

  /** A plain durable queue (classic, or quorum) bound to `exchange` by `bench.created` (or `routingKey`), for the clients that do not declare their own. */
  async queue(name: string, exchange: string, type: 'classic' | 'quorum' = 'classic', routingKey = ROUTING_KEY): Promise<void> {
    await (await this.channel()).assertQueue(name, { durable: true, ...(type === 'quorum' ? { arguments: { 'x-queue-type': 'quorum' } } : {}) });
    await this.bind(name, exchange, routingKey);
  }

  async bind(queue: string, exchange: string, routingKey = ROUTING_KEY): Promise<void> {
    await (await this.channel()).bindQueue(queue, exchange, routingKey);
  }

  /**
   * Publishes `count` events in rx-pubsub's wire format (padded to
   * `eventBytes`, see `benchData`) through `exchange`, confirmed, at most
   * 5,000 or 32 MiB at a time.
   */
  async prefill(exchange: string, count: number, eventBytes = 0): Promise<void> {
    const channel = await this.channel();
    const window = Math.max(1, Math.min(5_000, Math.floor(PREFILL_BYTES / Math.max(eventBytes, 200))));
    for (let start = 0; start < count; start += window) {
      for (let seq = start; seq < Math.min(count, start + window); seq++) {
        const event = benchEvent(seq, 0, eventBytes);
        if (!channel.publish(exchange, ROUTING_KEY, Buffer.from(JSON.stringify(event)), wireProperties(event))) {
          await new Promise((resolve) => channel.once('drain', resolve));
        }
      }
      await channel.waitForConfirms();
    }
  }

  /**
   * Deletes queues (a missing one counts as empty) and the exchange; returns
   * how many messages the queues still held. For the queues in `exact`
   * (quorum queues) the count is read first with a passive declare: deleting
   * a quorum queue reports the count of its periodic metrics, which can be
   * seconds old (57 "left" in a queue that was drained, on RabbitMQ 3.10).
   */
  async remove(queues: readonly string[], exchange: string, exact: readonly string[] = []): Promise<number> {
    let left = 0;
    for (const queue of queues) {
      const counted = exact.includes(queue) ? await this.messageCount(queue) : undefined;
      const deleted = (await (await this.channel()).deleteQueue(queue)).messageCount;
      left += counted ?? deleted;
    }
    await (await this.channel()).deleteExchange(exchange);
    return left;
  }

  /** The queue's ready messages now, or undefined when it cannot be asked (a missing queue closes the channel; the next call reopens it). */
  private async messageCount(queue: string): Promise<number | undefined> {
    try {
      return (await (await this.channel()).checkQueue(queue)).messageCount;
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    const open = this.open;
    this.open = undefined;
    if (open) await (await open).connection.close();
  }
}
