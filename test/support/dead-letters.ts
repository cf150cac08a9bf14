/**
 * Helpers of the dead-letter API tests: a `deadLetters` closed when the test
 * finishes, queues declared behind any bus's back (a quorum one too), and a
 * dead-letter queue filled as a bus fills it, fast, on either transport.
 */
import { encodeEvent } from '../../src/blocks.js';
import { createEvent, deadLetters, type DeadLetters, type DeadLettersOptions, type Event, RxPubsubHeader } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import type { MessageProperties } from '../../src/transport/transport.js';
import { deleteExchange, deleteQueues, rawConnection, teardown } from './broker.js';

/** `deadLetters(options)`, closed when the test finishes. */
export function openDeadLetters(options: DeadLettersOptions): DeadLetters {
  const dlq = deadLetters(options);
  teardown(() => dlq.close());
  return dlq;
}

/** Declares a durable queue with `args` on the broker behind `url`; deleted (RabbitMQ) when the test finishes. */
export async function declareQueue(url: string, queue: string, args: Record<string, unknown> = {}): Promise<void> {
  if (url.startsWith('memory://')) {
    MemoryBroker.named(new URL(url).host).declareQueue(queue, { durable: true, exclusive: false, autoDelete: false, arguments: args });
    return;
  }
  teardown(() => deleteQueues(queue));
  const connection = await rawConnection();
  const channel = await connection.createChannel();
  await channel.assertQueue(queue, { durable: true, arguments: args });
  await channel.close();
}

/** Declares a durable topic exchange on the broker behind `url`; deleted (RabbitMQ) when the test finishes. */
export async function declareExchange(url: string, exchange: string): Promise<void> {
  if (url.startsWith('memory://')) return MemoryBroker.named(new URL(url).host).declareExchange(exchange);
  teardown(() => deleteExchange(exchange));
  const connection = await rawConnection();
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  await channel.close();
}

/** The properties of a bus's copy in `Q.dlq` for `event`, failed with `error` in `pattern`. */
export function deadLetterProperties(event: Event, error: string, pattern: string, failedAt = new Date()): MessageProperties {
  const routingKey = `${event.domain}.${event.action}`;
  return {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    deliveryMode: 2,
    messageId: event.id,
    type: routingKey,
    timestamp: Math.floor(Date.parse(event.timestamp) / 1000),
    headers: {
      [RxPubsubHeader.ERROR]: `${pattern}: ${error}`,
      [RxPubsubHeader.PATTERNS]: pattern,
      [RxPubsubHeader.ATTEMPTS]: 1,
      [RxPubsubHeader.HISTORY]: `1: ${pattern}: ${error}`,
      [RxPubsubHeader.ROUTING_KEY]: routingKey,
      [RxPubsubHeader.FIRST_FAILED_AT]: failedAt.toISOString(),
      [RxPubsubHeader.FAILED_AT]: failedAt.toISOString(),
    },
  };
}

/**
 * Puts `count` dead letters in `queue` (which must exist), as a bus copies
 * them: `order.<action>` events, action `actions[i % actions.length]`,
 * failed with "`<action>` failed". Returns the events in queue order.
 */
export async function fillDeadLetters(url: string, queue: string, count: number, actions = ['created']): Promise<Event[]> {
  const events = Array.from({ length: count }, (_, i) =>
    createEvent({ domain: 'order', action: actions[i % actions.length] ?? 'created', data: { n: i } }),
  );
  const letters = events.map((event) => ({
    body: encodeEvent(event),
    properties: deadLetterProperties(event, `${event.action} failed`, `order.${event.action}`),
  }));
  if (url.startsWith('memory://')) {
    const broker = MemoryBroker.named(new URL(url).host);
    for (const { body, properties } of letters) broker.publish('', queue, body, properties);
    return events;
  }
  const connection = await rawConnection();
  const channel = await connection.createConfirmChannel();
  for (const { body, properties } of letters) channel.sendToQueue(queue, body, properties);
  await channel.waitForConfirms();
  await channel.close();
  return events;
}
