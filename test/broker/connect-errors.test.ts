import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConnectionError, ErrorCode, EventBus, PublishError } from '../../src/index.js';
import { amqpUrl, connectBus, expectRxError, names, orderEvent, teardown, TRANSPORTS } from '../support/bus.js';

/** `amqpUrl()` changed by `change`. */
function withUrl(change: (url: URL) => void): string {
  const url = new URL(amqpUrl());
  change(url);
  return url.toString();
}

/** Everything an error shows: message, cause chain and stacks. */
function everythingShown(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(String(e), e instanceof Error ? (e.stack ?? '') : '');
  }
  return parts.join('\n');
}

/** A TLS server with a self-signed certificate (no client trusts it); closed when the test finishes. */
async function untrustedTlsServer(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'rx-pubsub-tls-'));
  teardown(() => rm(dir, { recursive: true, force: true }));
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost']);
  const server = tls.createServer({ key: await readFile(key), cert: await readFile(cert) }, (socket) => socket.on('error', () => undefined));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

const SECRET = 'pw-never-shown-E';

/** Connects and expects a fast, non-retriable CONNECTION_FAILED whose message matches `says` and hides the password. */
async function expectFastRefusal(url: string, says: RegExp): Promise<void> {
  const started = Date.now();
  const error = await expectRxError(EventBus.connect({ url, connectTimeoutMs: 8_000 }), ConnectionError, ErrorCode.CONNECTION_FAILED);
  expect(Date.now() - started).toBeLessThan(4_000);
  expect(error.retriable).toBe(false);
  expect(error.message).toMatch(says);
  expect(error.message).not.toMatch(/start one/);
  expect(everythingShown(error)).not.toContain(SECRET);
}

describe('connect errors (amqp)', () => {
  it('connect errors - an unknown vhost fails at once, not retriable, naming the vhost as the problem', async () => {
    await expectFastRefusal(withUrl((u) => (u.pathname = '/no-such-vhost')), /vhost/);
  });

  it('connect errors - a bad frameMax (or other URL parameter) fails at once, naming the parameter', async () => {
    await expectFastRefusal(withUrl((u) => u.searchParams.set('frameMax', '1')), /frameMax=1/);
    await expectFastRefusal(withUrl((u) => u.searchParams.set('channelMax', 'abc')), /channelMax=abc/);
  });

  it('connect errors - amqps:// to the plain AMQP port fails at once, saying the port does not speak TLS', async () => {
    await expectFastRefusal(withUrl((u) => {
      u.protocol = 'amqps:';
      u.password = SECRET;
    }), /does not speak TLS/);
  });

  it('connect errors - a certificate the client does not trust fails at once, saying TLS failed', async () => {
    const port = await untrustedTlsServer();
    await expectFastRefusal(`amqps://guest:${SECRET}@127.0.0.1:${port}`, /TLS/);
  });

  it('connect errors - a wrong password with @ : %40 and non-ASCII characters: refused at once, never shown', async () => {
    for (const password of ['p@ss:word', 'p%40ss', 'pässwörd-ü', SECRET]) {
      const url = `amqp://guest:${encodeURIComponent(password)}@127.0.0.1:${new URL(amqpUrl()).port || 5672}`;
      const started = Date.now();
      const error = await expectRxError(EventBus.connect({ url, connectTimeoutMs: 8_000 }), ConnectionError, ErrorCode.CONNECTION_FAILED);
      expect(Date.now() - started).toBeLessThan(4_000);
      expect(error.message).toMatch(/refused the login/);
      const shown = everythingShown(error);
      for (const form of [password, encodeURIComponent(password)]) expect(shown).not.toContain(form);
    }
  });

  it('connect errors - nobody listening stays retriable and says so, with the last attempt\'s reason', async () => {
    const error = await expectRxError(EventBus.connect({ url: withUrl((u) => (u.port = '1')), connectTimeoutMs: 800 }), ConnectionError, ErrorCode.CONNECTION_FAILED);
    expect(error.retriable).toBe(true);
    expect(error.message).toMatch(/start one/);
    expect(error.message).toMatch(/ECONNREFUSED/);
  });
});

describe.each(TRANSPORTS)('publish buffer (%s)', (_kind, makeUrl) => {
  it('publish buffer - PUBLISH_BUFFER_FULL on a healthy bus says publishes wait to be sent or confirmed, and how to fix it', async () => {
    const { exchange } = names('buffer');
    const url = makeUrl();
    const bus = await connectBus({ url, exchange, maxPendingPublishes: 1 });
    // memory confirms at once, so only a held publish fills its buffer: hold one there.
    if (url.startsWith('memory://')) (await import('../../src/transport/memory/memory-broker.js')).MemoryBroker.named(new URL(url).host).block();
    const first = bus.publish(orderEvent());
    first.catch(() => undefined);
    const error = await expectRxError(bus.publish(orderEvent()), PublishError, ErrorCode.PUBLISH_BUFFER_FULL);
    expect(error.message).toMatch(/waiting to be sent or confirmed/);
    expect(error.message).toMatch(/await publishes|raise maxPendingPublishes/);
    if (url.startsWith('memory://')) (await import('../../src/transport/memory/memory-broker.js')).MemoryBroker.named(new URL(url).host).unblock();
    await first;
  });
});
