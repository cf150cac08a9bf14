/**
 * fatalConnectFailure (src/transport/amqp/connect-failure.ts) reads "TLS"/"SSL"/"certificate" anywhere in a
 * failure's text as a failed handshake that no wait can fix. A socket reset during the handshake (a broker
 * restarting, a load balancer with no backend yet: Node's ECONNRESET "Client network socket disconnected
 * before secure TLS connection was established") or a DNS failure for a host named like "rabbitmq-tls"
 * matched it: connect failed at once with retriable: false, "check the certificate", though waiting would
 * have connected.
 */
import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ErrorCode, EventBus, isRxPubsubError, RxPubsubError } from '../../src/index.js';
import { fatalConnectFailure } from '../../src/transport/amqp/connect-failure.js';
import { teardown } from '../support/broker.js';

function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('review - transient network failures during a TLS connect', () => {
  it.each([
    ['a reset during the TLS handshake', systemError('ECONNRESET', 'Client network socket disconnected before secure TLS connection was established')],
    ['DNS not ready for a host named rabbitmq-tls', systemError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN rabbitmq-tls')],
    ['refused by a host named ssl.broker.internal', systemError('ECONNREFUSED', 'connect ECONNREFUSED ssl.broker.internal:5671')],
  ])('connect failure - %s is not fatal', (_what, error) => {
    expect(fatalConnectFailure(error)).toBeUndefined();
  });

  it('connect failure - a TLS endpoint that resets connections is waited for (retriable), not refused at once', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => socket.destroy());
    server.on('connection', (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as { port: number };
    const started = Date.now();
    const error = await EventBus.connect({ url: `amqps://u:p@127.0.0.1:${port}`, connectTimeoutMs: 1_500 }).then(
      async (bus) => { await bus.close(); return undefined; },
      (e: unknown) => e,
    );
    expect(isRxPubsubError(error, ErrorCode.CONNECTION_FAILED)).toBe(true);
    expect((error as RxPubsubError).retriable).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
  });
});
