import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { benchEvent, propertiesFor, ROUTING_KEY, type BenchEvent } from '../lib/bench-event.js';
import { handRouter } from '../lib/hand-router.js';
import { publishConfirmed, windowed } from '../lib/window.js';
import type { BenchClient, ClientOptions } from './client.js';

/**
 * The baseline: amqplib's promise API written by hand, as a careful user would.
 * With `wire: 'naive'` it publishes with the two properties a user would set
 * (`persistent`, `contentType`); with `'ours'`, rx-pubsub's wire format.
 * A ConfirmChannel with a callback per publish and a window of unconfirmed
 * messages (waiting for 'drain' when the socket buffer is full); a plain
 * channel with prefetch and one ack per message. With `patterns`, each
 * delivery goes through a hand-written router (`handRouter`) to every
 * matching handler, and is acked once they are done.
 */
export function rawAmqplib(options: ClientOptions): BenchClient {
  let connection: ChannelModel;
  let publisher: ConfirmChannel | undefined;
  let consumer: Channel | undefined;
  let consumerTag: string | undefined;

  const confirmChannel = async (): Promise<ConfirmChannel> => (publisher ??= await connection.createConfirmChannel());
  const send = (channel: ConfirmChannel, event: BenchEvent, done: (error: unknown) => void): boolean =>
    channel.publish(options.exchange, ROUTING_KEY, Buffer.from(JSON.stringify(event)), propertiesFor(options.wire, event), done);
  // With keepCopies: the guarantees rx-pubsub's API gives, written by hand: a Promise per publish, settled by its
  // confirm, and each message kept until then (what a resend after a connection loss needs).
  const unconfirmed = new Map<number, { readonly content: Buffer; readonly properties: Record<string, unknown> }>();
  const publishKeeping = (channel: ConfirmChannel, seq: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const event = benchEvent(seq, 0, options.eventBytes);
      const copy = { content: Buffer.from(JSON.stringify(event)), properties: propertiesFor(options.wire, event) };
      unconfirmed.set(seq, copy);
      channel.publish(options.exchange, ROUTING_KEY, copy.content, copy.properties, (error: unknown) => {
        unconfirmed.delete(seq);
        if (error) reject(error instanceof Error ? error : new Error('a publish was nacked'));
        else resolve();
      });
    });

  return {
    async connect() {
      connection = await amqp.connect(options.url, { noDelay: options.noDelay });
    },

    async publishMany(count, window) {
      const channel = await confirmChannel();
      if (options.keepCopies) return windowed(count, window, (seq) => publishKeeping(channel, seq));
      return publishConfirmed(channel, count, window, (seq, done) => send(channel, benchEvent(seq, 0, options.eventBytes), done));
    },

    async publish(seq, sentAt) {
      const channel = await confirmChannel();
      await new Promise<void>((resolve, reject) => {
        send(channel, benchEvent(seq, sentAt, options.eventBytes), (error) => (error ? reject(error) : resolve()));
      });
    },

    async consume(onEvent, onAcked) {
      const channel = (consumer = await connection.createChannel());
      await channel.prefetch(options.prefetch);
      const route = options.patterns.length > 0 ? handRouter(options.patterns, onEvent, options.asyncHandlers) : undefined;
      const ack = (message: ConsumeMessage): void => {
        channel.ack(message);
        onAcked();
      };
      ({ consumerTag } = await channel.consume(options.queue, (message: ConsumeMessage | null) => {
        if (!message) return;
        const data = (JSON.parse(message.content.toString()) as BenchEvent).data;
        if (!route) {
          onEvent(data);
          return ack(message);
        }
        const handled = route(message.fields.routingKey, data);
        if (handled) void handled.then(() => ack(message));
        else ack(message);
      }));
    },

    async close() {
      // Cancel first, as rx-pubsub does: a quorum queue returns the last acks of a channel closed straight after them (seen on 3.10).
      if (consumer && consumerTag) await consumer.cancel(consumerTag);
      await consumer?.close();
      await publisher?.waitForConfirms();
      await publisher?.close();
      await connection.close();
    },
  };
}
