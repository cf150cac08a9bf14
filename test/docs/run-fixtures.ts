/**
 * Fixtures of ```ts run=broker blocks, by the name a fence gives
 * (```ts run=broker fixture=NAME). Most broker blocks need none: they choose
 * unique names and clean up themselves, and the runner gives only AMQP_URL
 * and a deadline. A fixture is for a block that shows a step in the middle of
 * a story (replaying a dead letter needs one first): it prepares the broker,
 * gives the block its environment, checks the broker after, and cleans up.
 */
import amqplib from 'amqplib';
import { expect } from 'vitest';
import { RxPubsubHeader, createEvent } from '../../src/index.js';
import { encodeEvent, JSON_CONTENT_TYPE } from '../../src/blocks.js';
import { uniqueName } from '../support/broker.js';

export interface Prepared {
  /** Added to the block's environment. */
  env: Record<string, string>;
  /** Checks the broker after the block exited 0. */
  verify(): Promise<void>;
  /** Runs after the block (and `verify`), pass or fail. */
  cleanup(): Promise<void>;
}

export type Fixture = (amqpUrl: string) => Promise<Prepared>;

export const fixtures: Record<string, Fixture> = {
  /**
   * `QUEUE` with the topology the bus declares (`QUEUE.dlq`, named as its
   * dead-letter target) and one dead-lettered order.created in `QUEUE.dlq`.
   * After the block, the DLQ is empty and `QUEUE` holds the message once,
   * without the attempts header (a fresh retry budget), counted as replayed.
   */
  'dlq-replay': async (amqpUrl) => {
    const queue = uniqueName('doc-replay');
    const deadLetters = `${queue}.dlq`;
    const connection = await amqplib.connect(amqpUrl);
    const closedBy: string[] = [];
    connection.on('error', (error: unknown) => closedBy.push(`connection error: ${String(error)}`));
    connection.on('close', (error: unknown) => closedBy.push(`connection closed: ${String(error)}`));
    const channel = await connection.createConfirmChannel();
    // A channel the broker closed fails every later call with "Channel closed": keep the reason.
    channel.on('error', (error: unknown) => closedBy.push(`channel error: ${String(error)}`));
    channel.on('close', () => closedBy.push('channel closed'));
    const cleanup = async (): Promise<void> => {
      await channel.deleteQueue(queue);
      await channel.deleteQueue(deadLetters);
      await connection.close();
    };
    const event = createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1' } });
    const body = encodeEvent(event);
    try {
      await channel.assertQueue(deadLetters, { durable: true });
      await channel.assertQueue(queue, {
        durable: true,
        arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': deadLetters },
      });
      channel.sendToQueue(deadLetters, body, {
        persistent: true,
        contentType: JSON_CONTENT_TYPE,
        messageId: event.id,
        type: 'order.created',
        headers: {
          [RxPubsubHeader.ERROR]: 'order.*: payment provider down',
          [RxPubsubHeader.PATTERNS]: 'order.*',
          [RxPubsubHeader.ATTEMPTS]: 3,
          [RxPubsubHeader.HISTORY]: '3: order.*: payment provider down',
          [RxPubsubHeader.ROUTING_KEY]: 'order.created',
        },
      });
      await channel.waitForConfirms();
    } catch (error) {
      await cleanup().catch(() => undefined);
      throw error;
    }
    return {
      env: { QUEUE: queue },
      cleanup,
      async verify() {
        if (closedBy.length > 0) throw new Error(`the fixture's channel was closed: ${closedBy.join('; ')}`);
        expect((await channel.checkQueue(deadLetters)).messageCount, `${deadLetters} after the replay`).toBe(0);
        expect((await channel.checkQueue(queue)).messageCount, `${queue} after the replay`).toBe(1);
        const replayed = await channel.get(queue, { noAck: true });
        if (replayed === false) throw new Error(`${queue} holds no message to get`);
        expect(replayed.content.equals(body)).toBe(true);
        expect(replayed.properties.messageId).toBe(event.id);
        const headers = replayed.properties.headers ?? {};
        expect(headers[RxPubsubHeader.ROUTING_KEY]).toBe('order.created');
        expect(headers).not.toHaveProperty(RxPubsubHeader.ATTEMPTS);
        expect(headers[RxPubsubHeader.REPLAYED]).toBe(1);
        expect(headers[RxPubsubHeader.HISTORY]).toBe('3: order.*: payment provider down');
      },
    };
  },
};
