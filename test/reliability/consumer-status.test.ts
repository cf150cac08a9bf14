import { describe, expect, it } from 'vitest';
import { type ConnectionState, type Event } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import type { ConsumerStatus } from '../../src/transport/transport.js';
import { amqpUrl, rawChannel } from '../support/broker.js';
import { tcpProxy } from '../support/tcp-proxy.js';
import { connectBus, names, orderEvent, recordingLogger, teardown, TRANSPORTS, waitFor, waitForCount } from '../support/rig.js';
import { openTransport } from '../support/transports.js';

/** Deletes `queue` behind the bus's back and declares it again with other arguments (the bus may race to re-declare it first: then again). */
async function redeclareWithOtherArguments(url: string, queue: string): Promise<void> {
  const other = { 'x-max-length': 10 };
  if (url.startsWith('memory://')) {
    const broker = MemoryBroker.named(new URL(url).host);
    broker.deleteQueue(queue);
    broker.declareQueue(queue, { durable: true, exclusive: false, autoDelete: false, arguments: other });
    return;
  }
  await waitFor(
    async () => {
      const channel = await rawChannel();
      await channel.deleteQueue(queue);
      await channel.assertQueue(queue, { durable: true, arguments: other });
      return true;
    },
    { timeoutMs: 5_000, description: `${queue} re-declared with other arguments` },
  );
}

async function deleteQueue(url: string, queue: string): Promise<void> {
  if (url.startsWith('memory://')) return void MemoryBroker.named(new URL(url).host).deleteQueue(queue);
  await (await rawChannel()).deleteQueue(queue);
}

describe.each(TRANSPORTS)('consumer status (%s)', (_kind, makeUrl) => {
  it('consumer status - a queue re-declared with other arguments shows as degraded (TOPOLOGY_FAILED), logged once; deleted again, the bus consumes again', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('degraded');
    const logger = recordingLogger();
    const bus = await connectBus({ url, exchange, queue, reconnectDelayMs: 100, logger });
    const handled: Event[] = [];
    bus.handle('order.created', (event) => void handled.push(event));
    await bus.ready();
    const states: ConnectionState[] = [];
    const subscription = bus.state$.subscribe((state) => states.push(state));
    teardown(() => subscription.unsubscribe());

    await redeclareWithOtherArguments(url, queue);
    await waitFor(() => states.at(-1)?.status === 'degraded', { timeoutMs: 5_000, description: `degraded (states: ${states.map((s) => s.status).join(' → ')})` });
    const degraded = states.at(-1) as Extract<ConnectionState, { status: 'degraded' }>;
    expect(degraded.reason).toMatch(/^TOPOLOGY_FAILED: .*queue/i);
    // Several retries, one error line: the same failure again is not news.
    await waitFor(() => logger.lines.filter((l) => l.level === 'debug' && /again/.test(l.message)).length >= 2, { description: 'two more failed attempts' });
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1);

    await deleteQueue(url, queue);
    await waitFor(() => states.at(-1)?.status === 'connected', { timeoutMs: 10_000, description: `connected again (states: ${states.map((s) => s.status).join(' → ')})` });
    await bus.publish(orderEvent());
    await waitForCount(handled, 1, 'handled events');
  });

  it('consumer status - status$ replays the current status and goes starting/consuming → failing → consuming → stopped', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('status');
    const transport = openTransport(url, { reconnectDelayMs: 50 });
    await transport.connect(exchange);
    const consumer = transport.consumer({
      exchange,
      prefetch: 4,
      queue: { name: queue, deadLetterQueue: `${queue}.dlq`, type: 'classic', durable: true, exclusive: false, autoDelete: false, arguments: {} },
    });
    teardown(() => deleteQueue(url, queue).catch(() => undefined));
    teardown(() => deleteQueue(url, `${queue}.dlq`).catch(() => undefined));
    const seen: ConsumerStatus['status'][] = [];
    const subscription = consumer.status$.subscribe((s) => seen.push(s.status));
    const deliveries = consumer.deliveries$.subscribe();
    teardown(() => deliveries.unsubscribe());
    await consumer.ready();
    await waitFor(() => seen.at(-1) === 'consuming', { description: `consuming (seen: ${seen.join(' → ')})` });

    await redeclareWithOtherArguments(url, queue);
    await waitFor(() => seen.at(-1) === 'failing', { description: `failing (seen: ${seen.join(' → ')})` });
    let replayed: ConsumerStatus | undefined;
    consumer.status$.subscribe((s) => (replayed ??= s)).unsubscribe();
    expect(replayed?.status).toBe('failing');
    expect(replayed?.status === 'failing' && replayed.error.code).toBe('TOPOLOGY_FAILED');

    await deleteQueue(url, queue);
    await waitFor(() => seen.at(-1) === 'consuming', { timeoutMs: 10_000, description: `consuming again (seen: ${seen.join(' → ')})` });
    await transport.close();
    expect(seen.at(-1)).toBe('stopped');
    expect(subscription.closed).toBe(true);
  });
});

describe('consumer status (amqp publisher)', () => {
  it('consumer status - an exchange re-declared with another type, met on reconnect: degraded (TOPOLOGY_FAILED) until it is gone, then publishing works', async () => {
    const proxy = await tcpProxy(amqpUrl());
    const { exchange } = names('degraded-x');
    const bus = await connectBus({ url: proxy.url, exchange, reconnectDelayMs: 100, logger: recordingLogger() });
    const states: ConnectionState[] = [];
    const subscription = bus.state$.subscribe((state) => states.push(state));
    teardown(() => subscription.unsubscribe());
    await bus.publish(orderEvent());
    const channel = await rawChannel();
    await channel.deleteExchange(exchange);
    await channel.assertExchange(exchange, 'direct', { durable: true });

    proxy.cut();
    await waitFor(() => states.at(-1)?.status === 'degraded', { timeoutMs: 10_000, description: `degraded (states: ${states.map((s) => s.status).join(' → ')})` });
    expect((states.at(-1) as Extract<ConnectionState, { status: 'degraded' }>).reason).toMatch(new RegExp(`^TOPOLOGY_FAILED: .*"${exchange}"`));

    await channel.deleteExchange(exchange);
    await waitFor(() => states.at(-1)?.status === 'connected', { timeoutMs: 10_000, description: `connected again (states: ${states.map((s) => s.status).join(' → ')})` });
    await bus.publish(orderEvent());
  });
});
