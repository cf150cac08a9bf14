/**
 * The memory broker declares and refuses queues of each type as RabbitMQ 3.10
 * does (each case below was checked against 3.10.8): the service queue, its
 * `.dlq` and its delay queues take the spec's type, arguments a type refuses
 * are refused, and a queue of another type is a conflict that names the fix.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, isRxPubsubError } from '../../../src/errors.js';
import type { QueueDeclaration } from '../../../src/transport/memory/memory-broker.js';
import { memoryTransports, spec } from '../../support/memory.js';

const { brokerName, open } = memoryTransports('memory-quorum-topology-test');

const durable = (args: Record<string, unknown>): QueueDeclaration => ({
  durable: true,
  exclusive: false,
  autoDelete: false,
  arguments: args,
});

describe('MemoryBroker queue types', () => {
  it('memory transport - a quorum spec declares Q, Q.dlq and Q.retry.<ms> as quorum queues, the delay queue dead-lettering at-least-once', async () => {
    const transport = await open(brokerName());
    const consumer = transport.consumer(spec('q', 16, { type: 'quorum', singleActiveConsumer: true }));
    await consumer.retryQueue(500);
    const { broker } = transport;

    expect(broker.queueDeclaration('q')?.arguments).toEqual({
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'q.dlq',
      'x-single-active-consumer': true,
    });
    // No x-delivery-limit on the DLQ: peeking at a dead letter (get, requeue) must never make the broker drop it.
    expect(broker.queueDeclaration('q.dlq')).toEqual(durable({ 'x-queue-type': 'quorum' }));
    expect(broker.queueDeclaration('q.retry.500')).toEqual(
      durable({
        'x-queue-type': 'quorum',
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
        'x-message-ttl': 500,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': 'q',
      }),
    );
  });

  it('memory transport - a classic spec declares Q, Q.dlq and Q.retry.<ms> as before quorum became the default', async () => {
    const transport = await open(brokerName());
    const consumer = transport.consumer(spec('q', 16, { type: 'classic' }));
    await consumer.retryQueue(500);
    const { broker } = transport;

    expect(broker.queueDeclaration('q')?.arguments).toEqual({ 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'q.dlq' });
    expect(broker.queueDeclaration('q.dlq')).toEqual(durable({}));
    expect(broker.queueDeclaration('q.retry.500')?.arguments).toEqual({
      'x-message-ttl': 500,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'q',
    });
  });

  it.each([
    ['quorum', 'x-max-priority', 10],
    ['quorum', 'x-queue-mode', 'lazy'],
    ['quorum', 'x-queue-version', 2],
    ['classic', 'x-delivery-limit', 3],
    ['classic', 'x-dead-letter-strategy', 'at-least-once'],
    ['classic', 'x-quorum-initial-group-size', 3],
  ] as const)('memory broker - a %s queue refuses %s, as RabbitMQ does', async (type, argument, value) => {
    const { broker } = await open(brokerName());
    const args = { ...(type === 'quorum' ? { 'x-queue-type': 'quorum' } : {}), [argument]: value };

    expect(() => broker.declareQueue('q', durable(args))).toThrow(`invalid arg '${argument}' for a ${type} queue`);
    expect(broker.hasQueue('q')).toBe(false);
  });

  it.each([
    ['x-single-active-consumer', 'yes', /invalid x-single-active-consumer "yes": use true or false/],
    ['x-dead-letter-strategy', 'bogus', /invalid x-dead-letter-strategy "bogus"/],
  ] as const)('memory broker - an invalid %s is refused', async (argument, value, message) => {
    const { broker } = await open(brokerName());

    expect(() => broker.declareQueue('q', durable({ 'x-queue-type': 'quorum', [argument]: value }))).toThrow(message);
  });

  it("memory broker - 'classic' and no x-queue-type are the same queue", async () => {
    const { broker } = await open(brokerName());
    broker.declareQueue('q', durable({}));

    expect(() => broker.declareQueue('q', durable({ 'x-queue-type': 'classic' }))).not.toThrow();
  });

  it.each([
    ['classic', 'quorum', "or keep them classic with queueOptions: { type: 'classic' }"],
    ['quorum', 'classic', "or keep them quorum with queueOptions: { type: 'quorum' }"],
  ] as const)(
    'memory transport - a queue that exists as %s, declared %s, fails TOPOLOGY_FAILED naming the fix',
    async (existing, declared, keep) => {
      const transport = await open(brokerName());
      await transport.consumer(spec('q', 16, { type: existing })).ready();

      const error: unknown = await transport
        .consumer(spec('q', 16, { type: declared }))
        .ready()
        .catch((caught: unknown) => caught);

      expect(isRxPubsubError(error, ErrorCode.TOPOLOGY_FAILED)).toBe(true);
      const text = (error as Error).message;
      expect(text).toContain("inequivalent arg 'x-queue-type'");
      // Q.dlq is declared first: it is the one that names the conflict.
      expect(text).toContain(`queue "q.dlq" exists as a ${existing} queue and this bus declares it as a ${declared} queue`);
      expect(text).toContain(`delete the ${existing} ones (moving their messages first, with a shovel, if they hold any)`);
      expect(text).toContain(keep);
    },
  );
});
