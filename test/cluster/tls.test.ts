/**
 * TLS against the local cluster's listeners (scripts/rabbitmq-cluster.sh, test
 * certificates from scripts/tls-certs.sh): one-way TLS on rabbit-1 (5671),
 * mutual TLS on rabbit-2 (5692, a client certificate required), an expired
 * server certificate on rabbit-3 (5693). A handshake that can never succeed
 * fails the connect at once, not after connectTimeoutMs.
 */
import { describe, expect, it } from 'vitest';
import {
  createEvent,
  ErrorCode,
  EventBus,
  type EventBusOptions,
  isRxPubsubError,
  RxPubsubError,
  type Settlement,
  type TlsOptions,
} from '../../src/index.js';
import { teardown, uniqueName, waitFor } from '../support/broker.js';
import { CLUSTER_TLS, clusterBus, connectionsNamed, deleteAfterTest, tlsFile } from '../support/cluster.js';

const CONNECT_TIMEOUT_MS = 10_000;
/** Far below CONNECT_TIMEOUT_MS: the failure came from the handshake, not from waiting. */
const FAST_MS = 3_000;

const ca = (): TlsOptions => ({ ca: tlsFile('ca.pem') });
const clientCertificate = (): TlsOptions => ({ ca: tlsFile('ca.pem'), cert: tlsFile('client.pem'), key: tlsFile('client.key') });

/** Publishes one event and waits for the bus's own handler to get it. */
async function roundTrip(
  options: Partial<EventBusOptions> & { url: string | readonly string[] },
): Promise<{ bus: EventBus; connectionName: string }> {
  const connectionName = uniqueName('tls');
  const queue = uniqueName('tls');
  const bus = await clusterBus({ ...options, exchange: uniqueName('tls-x'), queue, connectionName });
  const received: string[] = [];
  bus.handle('tls.*', (event) => void received.push(event.id));
  await bus.ready();
  const sent = createEvent({ domain: 'tls', action: 'checked', data: { n: 1 } });
  await bus.publish(sent);
  await waitFor(() => received.includes(sent.id), { timeoutMs: 10_000, description: 'the event back through the TLS connection' });
  return { bus, connectionName };
}

async function connectError(options: EventBusOptions): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  const error = await EventBus.connect({ connectTimeoutMs: CONNECT_TIMEOUT_MS, ...options }).then(
    async (bus) => {
      await bus.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  return { error, ms: Date.now() - started };
}

describe('cluster - TLS', () => {
  it('tls - amqps://localhost:5671 with tls.ca connects and round-trips events', async () => {
    const { bus, connectionName } = await roundTrip({ url: `amqps://guest:guest@localhost:${CLUSTER_TLS.port}`, tls: ca() });
    expect((await connectionsNamed(connectionName)).map((c) => c.port)).toEqual([CLUSTER_TLS.port, CLUSTER_TLS.port]);
    await bus.close();
  });

  it.each([
    ['the wrong CA', `amqps://guest:guest@localhost:${CLUSTER_TLS.port}`, { ca: tlsFile('other-ca.pem') }, /TLS handshake.*certificate/],
    [
      'an expired server certificate',
      `amqps://guest:guest@localhost:${CLUSTER_TLS.expiredPort}`,
      ca(),
      /TLS handshake.*certificate has expired/,
    ],
    [
      'a certificate for another host (localhost, reached as 127.0.0.1)',
      `amqps://guest:guest@127.0.0.1:${CLUSTER_TLS.port}`,
      ca(),
      /TLS handshake.*does not match/,
    ],
    ['TLS to a plain AMQP port', 'amqps://guest:guest@localhost:5681', ca(), /does not speak TLS.*wrong version number/],
    [
      'no client certificate where one is required',
      `amqps://guest:guest@localhost:${CLUSTER_TLS.mutualPort}`,
      ca(),
      /requires a client certificate.*tls\.cert/,
    ],
  ])('tls - %s fails fast: CONNECTION_FAILED, not retriable, with the TLS reason', async (_what, url, tls, reason) => {
    const { error, ms } = await connectError({ url, tls });
    expect(isRxPubsubError(error, ErrorCode.CONNECTION_FAILED), String(error)).toBe(true);
    const failure = error as RxPubsubError;
    expect(failure.retriable).toBe(false);
    expect(failure.message).toMatch(reason);
    expect(failure.message).not.toMatch(/No RabbitMQ answered/);
    expect(failure.message).not.toContain('guest:guest');
    expect(ms).toBeLessThan(FAST_MS);
  });

  it('tls - several URLs: a node whose certificate fails is skipped for the next one, which connects', async () => {
    const url = [`amqps://guest:guest@localhost:${CLUSTER_TLS.expiredPort}`, `amqps://guest:guest@localhost:${CLUSTER_TLS.port}`];
    const { bus, connectionName } = await roundTrip({ url, tls: ca(), reconnectDelayMs: 100 });
    expect((await connectionsNamed(connectionName)).map((c) => c.port)).toEqual([CLUSTER_TLS.port, CLUSTER_TLS.port]);
    await bus.close();
  });

  it("tls - several URLs that all fail TLS fail fast after one round over them, naming each URL's reason", async () => {
    const url = [`amqps://guest:guest@localhost:${CLUSTER_TLS.expiredPort}`, `amqps://guest:guest@127.0.0.1:${CLUSTER_TLS.port}`];
    const { error, ms } = await connectError({ url, tls: ca(), reconnectDelayMs: 100 });
    expect(isRxPubsubError(error, ErrorCode.CONNECTION_FAILED), String(error)).toBe(true);
    expect((error as RxPubsubError).retriable).toBe(false);
    expect((error as RxPubsubError).message).toMatch(
      /localhost:5693: certificate has expired; amqps:\/\/guest@127\.0\.0\.1:5671: Hostname/,
    );
    expect(ms).toBeLessThan(FAST_MS);
  });

  it('tls - mutual TLS: with a client certificate the port that requires one connects and round-trips (PLAIN login)', async () => {
    const { bus, connectionName } = await roundTrip({
      url: `amqps://guest:guest@localhost:${CLUSTER_TLS.mutualPort}`,
      tls: clientCertificate(),
    });
    const connections = await connectionsNamed(connectionName);
    expect(connections.map((c) => [c.port, c.user, c.authMechanism])).toEqual([
      [CLUSTER_TLS.mutualPort, 'guest', 'PLAIN'],
      [CLUSTER_TLS.mutualPort, 'guest', 'PLAIN'],
    ]);
    await bus.close();
  });

  it.each([
    ['tls.cert and tls.key', clientCertificate],
    ['tls.pfx', (): TlsOptions => ({ ca: tlsFile('ca.pem'), pfx: tlsFile('client.p12'), passphrase: 'rx-pubsub' })],
  ])("tls - EXTERNAL (?auth_mechanism=external) with %s logs in as the certificate's CN, with no password", async (_what, tls) => {
    const { bus, connectionName } = await roundTrip({
      url: `amqps://localhost:${CLUSTER_TLS.mutualPort}?auth_mechanism=external`,
      tls: tls(),
    });
    const connections = await connectionsNamed(connectionName);
    expect(connections.map((c) => [c.user, c.authMechanism])).toEqual([
      [CLUSTER_TLS.externalUser, 'EXTERNAL'],
      [CLUSTER_TLS.externalUser, 'EXTERNAL'],
    ]);
    await bus.close();
  });

  it("tls - a retry over EXTERNAL: the copy to the delay queue carries the certificate's user as user-id, which RabbitMQ accepts, and comes back", async () => {
    const queue = uniqueName('tls-retry');
    const delayMs = 200;
    deleteAfterTest([`${queue}.retry.${delayMs}`]);
    const bus = await clusterBus({
      url: `amqps://localhost:${CLUSTER_TLS.mutualPort}?auth_mechanism=external`,
      tls: clientCertificate(),
      exchange: uniqueName('tls-retry-x'),
      queue,
      queueOptions: { type: 'quorum' },
      retry: { attempts: 3, delaysMs: delayMs },
    });
    const settlements: Settlement[] = [];
    const subscription = bus.settlements$.subscribe((s) => settlements.push(s));
    teardown(() => subscription.unsubscribe());
    let calls = 0;
    bus.handle('tls.*', () => {
      calls++;
      if (calls === 1) throw new Error('first attempt fails');
    });
    await bus.ready();
    await bus.publish(createEvent({ domain: 'tls', action: 'retried', data: {} }));
    await waitFor(() => settlements.length >= 2, { timeoutMs: 15_000, description: 'the retry settled' });

    const [first, second] = settlements;
    expect([first?.outcome.kind, first?.sent]).toEqual(['retry', true]);
    expect(second?.outcome.kind).toBe('ack');
    expect(second?.delivery.routingKey).toBe(queue); // back from the delay queue
    expect(second?.delivery.properties.userId).toBe(CLUSTER_TLS.externalUser);
    expect(calls).toBe(2);
  });
});
