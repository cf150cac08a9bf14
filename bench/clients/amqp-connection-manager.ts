import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { benchEvent, ROUTING_KEY, wireProperties, type BenchEvent } from '../lib/bench-event.js';
import { windowed } from '../lib/window.js';
import type { BenchClient, ClientOptions } from './client.js';

/**
 * amqp-connection-manager alone (what rx-pubsub is built on): a confirm
 * ChannelWrapper whose `publish` resolves on the confirm, and
 * `ChannelWrapper.consume` with prefetch and one ack per message.
 */
export function amqpConnectionManager(options: ClientOptions): BenchClient {
  let manager: AmqpConnectionManager;
  let publisher: ChannelWrapper | undefined;
  let consumer: ChannelWrapper | undefined;

  const channel = (): ChannelWrapper => (publisher ??= manager.createChannel({ confirm: true, json: false }));
  const publish = (seq: number, sentAt = 0): Promise<boolean> => {
    const event = benchEvent(seq, sentAt);
    return channel().publish(options.exchange, ROUTING_KEY, Buffer.from(JSON.stringify(event)), wireProperties(event));
  };

  return {
    async connect() {
      manager = amqp.connect([options.url], { connectionOptions: { noDelay: options.noDelay } as never });
      await manager.connect({ timeout: 10_000 });
    },

    async publishMany(count, window) {
      await channel().waitForConnect();
      await windowed(count, window, (i) => publish(i));
    },

    async publish(seq, sentAt) {
      await publish(seq, sentAt);
    },

    async consume(onEvent, onAcked) {
      const wrapper = (consumer = manager.createChannel({ confirm: false, setup: (_: ConfirmChannel) => Promise.resolve() }));
      await wrapper.consume(
        options.queue,
        (message: ConsumeMessage) => {
          onEvent((JSON.parse(message.content.toString()) as BenchEvent).data);
          wrapper.ack(message);
          onAcked();
        },
        { prefetch: options.prefetch },
      );
    },

    async close() {
      await consumer?.close();
      await publisher?.close();
      await manager.close();
    },
  };
}
