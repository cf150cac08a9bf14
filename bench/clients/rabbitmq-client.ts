import { Connection, type Publisher } from 'rabbitmq-client';
import { benchEvent, ROUTING_KEY, wireProperties, type BenchEvent } from '../lib/bench-event.js';
import { windowed } from '../lib/window.js';
import type { BenchClient, ClientOptions } from './client.js';

/**
 * rabbitmq-client: a Publisher with `confirm: true` (`send` resolves on the
 * confirm; the object body is JSON-encoded by the client) and a Consumer with
 * `qos.prefetchCount` whose handler's return acks the message.
 */
export function rabbitmqClient(options: ClientOptions): BenchClient {
  let connection: Connection;
  let publisher: Publisher | undefined;
  let consumer: ReturnType<Connection['createConsumer']> | undefined;

  const send = (seq: number, sentAt = 0): Promise<void> => {
    publisher ??= connection.createPublisher({ confirm: true });
    const event = benchEvent(seq, sentAt);
    const { persistent, ...properties } = wireProperties(event);
    return publisher.send({ exchange: options.exchange, routingKey: ROUTING_KEY, durable: persistent, ...properties }, event);
  };

  return {
    async connect() {
      connection = new Connection({ url: options.url, noDelay: options.noDelay });
      await connection.onConnect(10_000, true);
    },

    publishMany(count, window) {
      return windowed(count, window, (i) => send(i));
    },

    publish: send,

    async consume(onEvent, onAcked) {
      consumer = connection.createConsumer(
        { queue: options.queue, queueOptions: { durable: true }, qos: { prefetchCount: options.prefetch } },
        (message) => {
          // The client decodes application/json bodies itself.
          onEvent((message.body as BenchEvent).data);
          onAcked(); // the client sends basic.ack as this handler returns
        },
      );
      await new Promise<void>((resolve, reject) => {
        consumer?.once('ready', resolve);
        consumer?.once('error', reject);
      });
    },

    async close() {
      await consumer?.close();
      await publisher?.close();
      await connection.close();
    },
  };
}
