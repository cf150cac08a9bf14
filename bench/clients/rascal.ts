import rascal, { type BrokerAsPromised } from 'rascal';
import { benchEvent, ROUTING_KEY, wireProperties, type BenchEvent } from '../lib/bench-event.js';
import { windowed } from '../lib/window.js';
import type { BenchClient, ClientOptions } from './client.js';

/**
 * rascal with its defaults: confirmed publications (`publication.on('success')`),
 * the object body JSON-encoded by rascal, a subscription with `prefetch` and
 * `ackOrNack()` per message. The benchmark's exchange and queue are only
 * checked, not declared. Its confirm channel pool holds at most
 * `confirmPool.max` (default 5) unconfirmed publishes, whatever our window;
 * BENCH_RASCAL_CONFIRM_POOL overrides it.
 */
export function rascalClient(options: ClientOptions): BenchClient {
  let broker: BrokerAsPromised;
  const confirmPoolMax = Number(process.env.BENCH_RASCAL_CONFIRM_POOL ?? 0);

  const publish = async (seq: number, sentAt = 0): Promise<void> => {
    const event = benchEvent(seq, sentAt);
    const { persistent, ...properties } = wireProperties(event);
    const publication = await broker.publish('bench', event, { options: { ...properties, persistent } });
    await new Promise<void>((resolve, reject) => {
      publication.once('success', () => resolve());
      publication.once('error', reject);
      publication.once('return', () => reject(new Error('returned: unroutable')));
    });
  };

  return {
    async connect() {
      broker = await rascal.BrokerAsPromised.create({
        vhosts: {
          '/': {
            connection: { url: options.url, socketOptions: { timeout: 10_000, noDelay: options.noDelay } },
            ...(confirmPoolMax > 0 ? { publicationChannelPools: { confirmPool: { max: confirmPoolMax } } } : {}),
            exchanges: { [options.exchange]: { assert: false, check: true } },
            queues: { [options.queue]: { assert: false, check: true } },
            publications: { bench: { exchange: options.exchange, routingKey: ROUTING_KEY, confirm: true } },
            subscriptions: { bench: { queue: options.queue, prefetch: options.prefetch } },
          },
        },
      });
      broker.on('error', (error: unknown) => console.error('rascal broker error', error));
    },

    publishMany(count, window) {
      return windowed(count, window, (i) => publish(i));
    },

    publish,

    async consume(onEvent, onAcked) {
      const subscription = await broker.subscribe('bench');
      subscription.on('message', (_message: unknown, content: BenchEvent, ackOrNack: () => void) => {
        // rascal decodes application/json bodies itself.
        onEvent(content.data);
        ackOrNack();
        onAcked();
      });
      subscription.on('error', (error: unknown) => console.error('rascal subscription error', error));
    },

    async close() {
      await broker.shutdown();
    },
  };
}
