import { once } from 'node:events';
import { createServer, type Socket, connect } from 'node:net';
import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createEvent, silentLogger } from '../../src/index.js';
import { AmqpConnection } from '../../src/transport/amqp/amqp-connection.js';
import { coalesceWrites, socketOf } from '../../src/transport/amqp/coalesce-writes.js';
import { amqpUrl, connectBus, deleteExchange, names, teardown, uniqueName, waitFor } from '../support/bus.js';

/** Counts the system-call-level writes of a socket: each `_write` or `_writev` call, and the chunks each carried. */
function countWrites(socket: Writable): { calls: number; chunks: number } {
  const counts = { calls: 0, chunks: 0 };
  const internals = socket as unknown as {
    _write: (...args: unknown[]) => void;
    _writev: (chunks: unknown[], ...rest: unknown[]) => void;
  };
  const write = internals._write.bind(socket);
  const writev = internals._writev.bind(socket);
  internals._write = (...args) => {
    counts.calls++;
    counts.chunks++;
    write(...args);
  };
  internals._writev = (chunks, ...rest) => {
    counts.calls++;
    counts.chunks += chunks.length;
    writev(chunks, ...rest);
  };
  return counts;
}

async function socketPair(): Promise<{ client: Socket; received: () => string }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const client = connect(port, '127.0.0.1');
  const [peer] = (await once(server, 'connection')) as [Socket];
  let data = '';
  peer.on('data', (chunk: Buffer) => (data += chunk.toString()));
  teardown(() => {
    client.destroy();
    peer.destroy();
    server.close();
  });
  await once(client, 'connect');
  return { client, received: () => data };
}

describe('write coalescing', () => {
  it('write coalescing - the writes of one tick go out as one writev, in order, and the next tick starts a new one', async () => {
    const { client, received } = await socketPair();
    coalesceWrites(client);
    const counts = countWrites(client);

    for (let i = 0; i < 100; i++) client.write(`a${i};`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(counts).toEqual({ calls: 1, chunks: 100 });

    for (let i = 0; i < 10; i++) client.write(`b${i};`);
    const expected = [...Array.from({ length: 100 }, (_, i) => `a${i};`), ...Array.from({ length: 10 }, (_, i) => `b${i};`)].join('');
    await waitFor(() => received() === expected, { description: 'every chunk received, in order' });
    expect(counts).toEqual({ calls: 2, chunks: 110 });
  });

  it('write coalescing - a socket without it makes a write per chunk (what the first test is measured against)', async () => {
    const { client, received } = await socketPair();
    const counts = countWrites(client);
    for (let i = 0; i < 20; i++) client.write(`c${i};`);
    await waitFor(() => received().length === Array.from({ length: 20 }, (_, i) => `c${i};`).join('').length, { description: 'every chunk received' });
    expect(counts.chunks).toBe(20);
    expect(counts.calls).toBeGreaterThan(1);
  });

  it('write coalescing - installing twice wraps once', async () => {
    const { client, received } = await socketPair();
    coalesceWrites(client);
    const wrapped = client.write;
    coalesceWrites(client);
    expect(client.write).toBe(wrapped);
    client.write('x');
    await waitFor(() => received() === 'x', { description: 'the chunk received' });
  });

  it('write coalescing - found and installed under every amqplib connection: a burst of 200 publishes leaves in a handful of writes, all confirmed', async () => {
    const connection = new AmqpConnection({
      urls: [amqpUrl()],
      heartbeatSeconds: 30,
      reconnectDelayMs: 100,
      connectTimeoutMs: 5_000,
      connectionName: 'write-coalescing test',
      tls: undefined,
      logger: silentLogger,
    });
    teardown(() => connection.close());
    await connection.connect();
    await waitFor(() => connection.connection !== undefined, { description: 'the amqplib connection' });
    const socket = socketOf(connection.connection!);
    expect(socket, 'amqplib keeps its socket at connection.stream; if this fails, amqplib changed and writes are no longer coalesced').toBeDefined();

    const exchange = uniqueName('coalesce-x');
    teardown(() => deleteExchange(exchange));
    const channel = await connection.connection!.createConfirmChannel();
    await channel.assertExchange(exchange, 'topic', { durable: false, autoDelete: false });
    const counts = countWrites(socket!);
    const confirms = Array.from(
      { length: 200 },
      (_, i) => new Promise<void>((resolve, reject) => channel.publish(exchange, 'k', Buffer.from(`m${i}`), {}, (error) => (error ? reject(error) : resolve()))),
    );
    await Promise.all(confirms);
    expect(counts.chunks).toBeGreaterThanOrEqual(200);
    expect(counts.calls).toBeLessThan(20);
    await channel.close();
  });

  it('write coalescing - a bus publishes and consumes as before over coalesced sockets', async () => {
    const bus = await connectBus({ url: amqpUrl(), ...names('coalesce-bus') });
    const seen: number[] = [];
    bus.handle('order.created', (event) => void seen.push((event.data as { n: number }).n));
    await bus.ready();
    await Promise.all(Array.from({ length: 300 }, (_, n) => bus.publish(createEvent({ domain: 'order', action: 'created', data: { n } }))));
    await waitFor(() => seen.length === 300, { description: 'all 300 handled' });
    expect(new Set(seen).size).toBe(300);
  });
});
