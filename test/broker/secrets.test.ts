import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConnectionError, ErrorCode } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import { redactText, redactUrl } from '../../src/redact-url.js';
import { AmqpTransport } from '../../src/transport/amqp/amqp-transport.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import type { Transport } from '../../src/transport/transport.js';
import { amqpUrl, expectRxError, names, registerCleanup, teardown } from '../support/bus.js';

/** Every way a test can look at `value` without reading private state by name. */
function everythingShown(value: unknown): string {
  const deep = { showHidden: true, depth: Infinity } as const;
  let json = '';
  try {
    json = JSON.stringify(value) ?? '';
  } catch (error) {
    json = String(error);
  }
  return [inspect(value, deep), inspect(value, { ...deep, customInspect: false, getters: true }), json].join('\n');
}

function amqpTransport(url: string): AmqpTransport {
  const transport = new AmqpTransport({
    urls: [url],
    heartbeatSeconds: 5,
    reconnectDelayMs: 100,
    connectTimeoutMs: 3_000,
    connectionName: 'rx-pubsub secrets test',
    tls: undefined,
    maxPendingPublishes: 100,
    logger: silentLogger,
  });
  teardown(() => transport.close());
  return transport;
}

const HOSTILE = ['p@ss:word', 'p%40ss', 'pässwörd-ü', 'a:b@c%40d/é'];

describe('secrets (amqp)', () => {
  it('secrets - a connected AmqpTransport, its connections and what it holds show no password, however inspected', async () => {
    const url = amqpUrl();
    const password = decodeURIComponent(new URL(url).password);
    const { exchange, queue } = names('secrets');
    registerCleanup(url, exchange, queue);
    const transport: Transport = amqpTransport(url);
    await transport.connect(exchange);
    const consumer = transport.consumer({
      exchange,
      prefetch: 1,
      queue: { name: queue, deadLetterQueue: `${queue}.dlq`, type: 'classic', durable: true, exclusive: false, autoDelete: false, arguments: {} },
    });
    await consumer.ready();
    await transport.publish({ exchange, routingKey: 'order.created', body: '{}', properties: {}, timeoutMs: 5_000 });

    const shown = [everythingShown(transport), everythingShown(consumer)].join('\n');
    expect(shown).toContain('***'); // the redacted summary is there
    expect(shown).not.toContain(`:${password}@`);
    expect(shown).not.toContain(`:${encodeURIComponent(password)}@`);
  });

  it.each(HOSTILE)('secrets - the password %j is never shown by a failed AmqpTransport or its error', async (password) => {
    const url = new URL(amqpUrl());
    url.password = encodeURIComponent(password);
    const transport = amqpTransport(url.toString());
    const error = await expectRxError(transport.connect(names('secrets-x').exchange), ConnectionError, ErrorCode.CONNECTION_FAILED);
    const shown = [everythingShown(transport), everythingShown(error), error.message, String(error.cause), inspect(error.cause, { depth: Infinity })].join('\n');
    for (const form of new Set([password, encodeURIComponent(password), url.password])) expect(shown).not.toContain(form);
  });
});

describe('secrets (memory)', () => {
  it.each(HOSTILE)('secrets - a MemoryTransport whose URL holds the password %j never shows it', async (password) => {
    const url = `memory://user:${encodeURIComponent(password)}@${names('secrets-m').queue}`;
    const transport = new MemoryTransport({ url, logger: silentLogger });
    teardown(() => transport.close());
    await transport.connect('events');
    const shown = everythingShown(transport);
    for (const form of new Set([password, encodeURIComponent(password)])) expect(shown).not.toContain(form);
  });
});

describe('redactText', () => {
  it.each([
    ['connect to amqp://u:p@ss@host:5672/v failed', 'connect to amqp://u:***@host:5672/v failed'],
    ['"amqps://guest:gu%40est@h" and amqp://a:b:c@d', '"amqps://guest:***@h" and amqp://a:***@d'],
    ['amqp://host:5672/vh and amqp://user@host', 'amqp://host:5672/vh and amqp://user@host'],
    ['amqp://u:pässwörd@h', 'amqp://u:***@h'],
  ])('redactText - %j → %j', (text, redacted) => {
    expect(redactText(text)).toBe(redacted);
    expect(redactUrl(text.split(' ').find((w) => w.includes('://'))?.replace(/"/g, '') ?? '')).not.toMatch(/:p@ss|pässwörd/);
  });
});
