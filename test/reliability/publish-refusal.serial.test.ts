import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, PublishError } from '../../src/index.js';
import { rabbitmqctl } from '../support/broker.js';
import { amqpUrl, expectRxError, names } from '../support/bus.js';
import { connectTransport, message } from '../support/transports.js';

// Serial: RabbitMQ's max_message_size is broker-wide; it is lowered for new channels and always restored.

const DEFAULT_MAX_MESSAGE_SIZE = 134_217_728;
const setMaxMessageSize = (bytes: number): Promise<string> => rabbitmqctl('eval', `application:set_env(rabbit, max_message_size, ${bytes}).`);

describe('publish refusal (amqp)', () => {
  afterEach(async () => {
    await setMaxMessageSize(DEFAULT_MAX_MESSAGE_SIZE);
  });

  it('publish refusal - a message over the broker\'s max_message_size among 40 concurrent ones: only it rejects, the 40 are confirmed', async () => {
    try {
      await setMaxMessageSize(8_192);
      const { exchange } = names('too-large');
      // maxMessageBytes above the broker's limit: the broker, not our check, refuses it (closing the channel).
      const transport = await connectTransport(amqpUrl(), exchange, { maxMessageBytes: 1_000_000 });
      const big = message(exchange, 'order.created', { body: 'x'.repeat(20_000) });
      const publishes = Array.from({ length: 41 }, (_, i) => transport.publish(i === 20 ? big : message(exchange, 'order.created')));
      const outcomes = await Promise.allSettled(publishes);

      const rejected = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [i] : []));
      expect(rejected).toEqual([20]);
      const error = await expectRxError(publishes[20] as Promise<void>, PublishError, ErrorCode.PUBLISH_REFUSED);
      expect(error.message).toMatch(/message size 20000/);
      expect(error.retriable).toBe(false);
    } finally {
      await setMaxMessageSize(DEFAULT_MAX_MESSAGE_SIZE);
    }
  });
});
