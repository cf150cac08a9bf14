/**
 * Credentials never show: not by inspecting a bus or its resolved options
 * (util.inspect, any depth, showHidden), not by serialising them, not in the
 * error of a refused login.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/bus/options.js';
import { ConnectionError, EventBus } from '../../src/index.js';
import { amqpUrl, connectBus, names, registerCleanup } from '../support/bus.js';

const PASSWORDS = ['p@ss', 'p:ss', 'p%40ss', 'pässwörd-密码'];

/** Every form a password may take in a rendering: as written, percent-encoded, decoded. */
function formsOf(password: string): string[] {
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // not percent-encoded
  }
  return [...new Set([password, encodeURIComponent(password), decoded, encodeURIComponent(decoded)])];
}

function renderings(value: unknown): string[] {
  return [
    inspect(value, { depth: Infinity, showHidden: true }),
    inspect(value, { depth: Infinity, showHidden: true, getters: true }),
    JSON.stringify(value),
    String(JSON.stringify(value, null, 2)),
  ];
}

function expectNoSecret(value: unknown, secrets: readonly string[]): void {
  for (const text of renderings(value)) {
    for (const secret of secrets) expect(text, `rendering contains ${secret}`).not.toContain(secret);
  }
}

describe('secrets', () => {
  it.each(PASSWORDS)('secrets - a memory:// bus and its resolved options never show the password %j', async (password) => {
    const { exchange, queue } = names('secret');
    const url = `memory://svc-user:${password}@${queue}`;
    const bus = await connectBus({ url, exchange, queue });
    bus.handle('order.*', () => undefined);
    expectNoSecret(bus, formsOf(password));
    expectNoSecret(resolveOptions({ url, tls: { passphrase: `tls-${password}` } }), [...formsOf(password), `tls-${password}`]);
    expect(inspect(bus)).toContain('svc-user:***@');
    const states: unknown[] = [];
    bus.state$.subscribe((state) => states.push(state)).unsubscribe();
    expect(states).not.toHaveLength(0);
    expectNoSecret(states, formsOf(password));
    expect(JSON.parse(JSON.stringify(bus))).toMatchObject({ exchange, queue, state: 'open' });
  });

  it('secrets - a bus on RabbitMQ never shows guest:guest', async () => {
    const { exchange, queue } = names('secret-amqp');
    const bus = await connectBus({ url: amqpUrl(), exchange, queue });
    expect(amqpUrl()).toContain('guest:guest');
    expectNoSecret(bus, ['guest:guest']);
    expectNoSecret(resolveOptions({ url: [amqpUrl(), amqpUrl()] }), ['guest:guest']);
    expect(inspect(bus)).toContain('guest:***@');
    const states: unknown[] = [];
    bus.state$.subscribe((state) => states.push(state)).unsubscribe();
    expectNoSecret(states, ['guest:guest']);
  });

  it.each(PASSWORDS)('secrets - the error of a refused login never shows the password %j', async (password) => {
    const { exchange } = names('secret-refused');
    const base = new URL(amqpUrl());
    const url = `amqp://guest:${password}@${base.host}`;
    registerCleanup(url, exchange);
    const error = await EventBus.connect({ url, exchange, connectTimeoutMs: 3_000 }).then(
      () => expect.unreachable('the login must be refused'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expectNoSecret(error, formsOf(password));
    expect(String((error as Error).stack)).not.toContain(password);
  });
});
