import { expect, inject, it } from 'vitest';
import {
  amqpUrl,
  deleteExchange,
  deleteQueues,
  listQueues,
  rawChannel,
  rawConnection,
  teardown,
  uniqueName,
  waitFor,
} from './broker.js';

it('broker support - the global setup provides the broker URL', () => {
  expect(inject('amqpUrl')).toMatch(/^amqps?:\/\//);
  expect(amqpUrl()).toBe(inject('amqpUrl'));
});

it('broker support - unique names do not repeat', () => {
  const names = new Set(Array.from({ length: 100 }, () => uniqueName('q')));
  expect(names.size).toBe(100);
  expect([...names][0]).toMatch(/^t-q-[0-9a-f]{12}$/);
});

it('broker support - a raw publish is consumed back from a unique queue', async () => {
  const queue = uniqueName('roundtrip');
  teardown(() => deleteQueues(queue));
  const channel = await rawChannel();
  await channel.assertQueue(queue, { durable: false });

  const received = new Promise<string>((resolve) => {
    void channel.consume(queue, (message) => {
      if (message === null) return;
      channel.ack(message);
      resolve(message.content.toString());
    });
  });
  channel.sendToQueue(queue, Buffer.from('hello'));

  await expect(received).resolves.toBe('hello');
});

it('broker support - listQueues sees a queue and its messages', async () => {
  const queue = uniqueName('listed');
  teardown(() => deleteQueues(queue));
  const channel = await rawChannel();
  await channel.assertQueue(queue, { durable: false });
  channel.sendToQueue(queue, Buffer.from('one'));
  channel.sendToQueue(queue, Buffer.from('two'));

  await waitFor(async () => (await listQueues()).some((q) => q.name === queue && q.messages === 2), {
    timeoutMs: 10_000,
    intervalMs: 200,
    description: `${queue} to hold 2 messages`,
  });
});

it('broker support - deleteQueues and deleteExchange remove what exists and accept what does not', async () => {
  const queue = uniqueName('deleted');
  const exchange = uniqueName('deleted-x');
  const channel = await rawChannel();
  await channel.assertQueue(queue, { durable: false });
  await channel.assertExchange(exchange, 'topic', { durable: false });

  await deleteQueues(queue, uniqueName('never-declared'));
  await deleteExchange(exchange);

  const checker = await rawChannel();
  await expect(checker.checkQueue(queue)).rejects.toThrow(/NOT_FOUND/);
  const another = await rawChannel();
  await expect(another.checkExchange(exchange)).rejects.toThrow(/NOT_FOUND/);
});

it('broker support - a connection closed by the test itself is torn down quietly', async () => {
  const connection = await rawConnection();
  await connection.close();
});

it('broker support - waitFor times out with an error naming what it awaited', async () => {
  const started = Date.now();
  await expect(waitFor(() => false, { timeoutMs: 200, intervalMs: 20, description: 'the impossible' })).rejects.toThrow(
    'waitFor timed out after 200 ms waiting for: the impossible',
  );
  expect(Date.now() - started).toBeLessThan(2_000);
});

it('broker support - waitFor reports the last error of a throwing predicate', async () => {
  const predicate = (): boolean => {
    throw new Error('queue not declared yet');
  };
  await expect(waitFor(predicate, { timeoutMs: 100, intervalMs: 20 })).rejects.toThrow(
    /waitFor timed out after 100 ms waiting for: .*; last error: queue not declared yet/,
  );
});

it('broker support - waitFor resolves once the predicate holds', async () => {
  let polls = 0;
  await waitFor(async () => ++polls >= 3, { timeoutMs: 1_000, intervalMs: 10 });
  expect(polls).toBe(3);
});
