import type { ClientFactory } from './client.js';

/**
 * Every client, by the name the runner and the table use; `raw-amqplib` is
 * the baseline. Loaded on demand, so a child's RSS holds only its own client.
 */
export const CLIENTS: Readonly<Record<string, () => Promise<ClientFactory>>> = {
  'raw-amqplib': async () => (await import('./raw-amqplib.js')).rawAmqplib,
  'rx-pubsub': async () => (await import('./rx-pubsub.js')).rxPubsub,
  'amqp-connection-manager': async () => (await import('./amqp-connection-manager.js')).amqpConnectionManager,
  'rabbitmq-client': async () => (await import('./rabbitmq-client.js')).rabbitmqClient,
  rascal: async () => (await import('./rascal.js')).rascalClient,
};
