import net from 'node:net';
import { teardown } from '../support/broker.js';

/**
 * A TCP proxy in front of RabbitMQ that delays every byte from the broker to
 * the client by `delayMs`, in order: a broker that far away delivers each
 * message `delayMs` late, as `MemoryBroker.delayDeliveries(delayMs)` plays it.
 * Resolves with the broker URL through the proxy; it stops when the test finishes.
 */
export async function latencyProxy(brokerUrl: string, delayMs: number): Promise<string> {
  const target = new URL(brokerUrl);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5672), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    // Timers of one delay fire in the order they were set: the stream stays in order.
    upstream.on('data', (chunk: Buffer) => setTimeout(() => client.write(chunk), delayMs));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const url = new URL(brokerUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);
  return url.toString();
}
