import net from 'node:net';
import { teardown } from './broker.js';

/** A TCP proxy in front of RabbitMQ whose traffic a test can freeze, to play a stalled network. */
export interface TcpProxy {
  /** The broker URL (credentials and vhost kept) with the proxy's host and port. */
  readonly url: string;
  /**
   * Holds every byte in both directions (nothing is lost) until `resume()`.
   * Resumes by itself when the test finishes, before the buses opened earlier close.
   */
  freeze(): void;
  resume(): void;
  /** Drops every proxied connection at once, as a network fault would. */
  cut(): void;
  /** While true, new connections are dropped as soon as they arrive (the broker is unreachable). */
  refuse(refusing: boolean): void;
}

/** How a {@link tcpProxy} plays the network. */
export interface TcpProxyOptions {
  /**
   * Delays every byte from the broker to the client by this much, in order: a broker that far away
   * delivers each message that late. 0 (the default) forwards at once.
   */
  readonly downstreamDelayMs?: number;
}

/** Starts a proxy to the broker of `brokerUrl`; it stops when the test finishes. */
export async function tcpProxy(brokerUrl: string, { downstreamDelayMs = 0 }: TcpProxyOptions = {}): Promise<TcpProxy> {
  const target = new URL(brokerUrl);
  const sockets = new Set<net.Socket>();
  const held: (() => void)[] = [];
  let frozen = false;
  let refusing = false;

  const forward = (from: net.Socket, to: net.Socket, delayMs = 0): void => {
    // Timers of one delay fire in the order they were set: the stream stays in order.
    const write = delayMs > 0 ? (chunk: Buffer) => void setTimeout(() => to.write(chunk), delayMs) : (chunk: Buffer) => void to.write(chunk);
    from.on('data', (chunk: Buffer) => {
      if (frozen) held.push(() => write(chunk));
      else write(chunk);
    });
  };
  const server = net.createServer((client) => {
    if (refusing) return void client.destroy();
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
    forward(client, upstream);
    forward(upstream, client, downstreamDelayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  const resume = (): void => {
    frozen = false;
    for (const write of held.splice(0)) write();
  };
  const url = new URL(brokerUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    freeze: () => {
      frozen = true;
      teardown(resume);
    },
    resume,
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    refuse: (value) => {
      refusing = value;
    },
  };
}
