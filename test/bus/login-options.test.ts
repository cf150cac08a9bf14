import { describe, expect, it } from 'vitest';
import { ErrorCode, EventBus, isRxPubsubError, type RxPubsubError } from '../../src/index.js';

/** What EventBus.connect rejects with, before any I/O (no broker listens on port 1). */
async function refusal(options: Parameters<typeof EventBus.connect>[0]): Promise<RxPubsubError> {
  const error: unknown = await EventBus.connect({ connectTimeoutMs: 500, ...options }).then(
    async (bus) => bus.close(),
    (e: unknown) => e,
  );
  if (!isRxPubsubError(error)) throw new Error(`expected an RxPubsubError, got ${String(error)}`);
  return error;
}

const cert = '-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----';
const key = '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----';

describe('login options', () => {
  it.each([
    [
      'an unknown auth_mechanism',
      'amqps://h:1?auth_mechanism=kerberos',
      { cert, key },
      /option url asks for auth_mechanism=kerberos: use plain .* or external/,
    ],
    ['EXTERNAL without TLS', 'amqp://h:1?auth_mechanism=external', { cert, key }, /option url .*external, which needs TLS: use amqps:\/\//],
    [
      'EXTERNAL without a client certificate',
      'amqps://h:1?auth_mechanism=external',
      undefined,
      /option tls needs a client certificate .*tls\.cert and tls\.key \(or tls\.pfx\)/,
    ],
    ['EXTERNAL with a certificate but no key', 'amqps://h:1?auth_mechanism=external', { cert }, /option tls needs a client certificate/],
  ])('login options - %s is refused at connect with INVALID_OPTIONS, naming the fix', async (_what, url, tls, message) => {
    const error = await refusal({ url, ...(tls ? { tls } : {}) });
    expect(error.code).toBe(ErrorCode.INVALID_OPTIONS);
    expect(error.message).toMatch(message);
  });

  it('login options - every URL of a cluster is checked, not only the first', async () => {
    const error = await refusal({ url: ['amqps://a:1', 'amqp://b:1?auth_mechanism=external'], tls: { cert, key } });
    expect(error.message).toMatch(/needs TLS/);
  });

  it('login options - EXTERNAL over amqps:// with tls.pfx, or tls.cert and tls.key, passes the check (and then fails to connect)', async () => {
    for (const tls of [{ pfx: Buffer.from('p12') }, { cert, key }]) {
      const error = await refusal({ url: 'amqps://127.0.0.1:1?auth_mechanism=external', tls });
      expect(error.code).toBe(ErrorCode.CONNECTION_FAILED);
    }
  });
});
