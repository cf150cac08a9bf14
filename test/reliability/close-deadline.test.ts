import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConnectionError, ErrorCode } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { amqpUrl } from '../support/broker.js';
import { tcpProxy } from '../support/tcp-proxy.js';
import { connectBus, expectRxError, names, orderEvent, statesOf, waitFor } from '../support/rig.js';

/** Client sockets still established to `port` (the proxy's): our ends of the bus's connections. */
async function socketsTo(port: string): Promise<number> {
  const { stdout } = await promisify(execFile)('ss', ['-tnH', 'state', 'established']);
  return stdout.split('\n').filter((line) => line.split(/\s+/)[3]?.endsWith(`:${port}`)).length;
}

describe('close deadline (amqp)', () => {
  it('close deadline - on a stalled network, close({ timeoutMs }) resolves by then: unconfirmed publishes reject CLOSED, sockets are destroyed', async () => {
    const proxy = await tcpProxy(amqpUrl());
    const { exchange, queue } = names('close-stalled');
    const bus = await connectBus({ url: proxy.url, exchange, queue, heartbeatSeconds: 60, publishTimeoutMs: 30_000 });
    bus.handle('order.created', () => undefined);
    await bus.ready();
    await bus.publish(orderEvent());
    const port = new URL(proxy.url).port;
    expect(await socketsTo(port)).toBe(2);

    proxy.freeze();
    const unconfirmed = bus.publish(orderEvent('created', { n: 2 }));
    unconfirmed.catch(() => undefined);
    const started = Date.now();
    await bus.close({ timeoutMs: 1_000 });
    expect(Date.now() - started).toBeLessThan(2_500);
    await expectRxError(unconfirmed, ConnectionError, ErrorCode.CLOSED);
    await waitFor(async () => (await socketsTo(port)) === 0, { timeoutMs: 1_000, description: 'the bus sockets to be destroyed' });
  });

  it('close deadline - without timeoutMs, a close on a stalled network still ends: each wait for the broker is bounded by connectTimeoutMs', async () => {
    const proxy = await tcpProxy(amqpUrl());
    const { exchange, queue } = names('close-stalled-nodl');
    const bus = await connectBus({ url: proxy.url, exchange, queue, heartbeatSeconds: 60, connectTimeoutMs: 1_000 });
    bus.handle('order.created', () => undefined);
    await bus.ready();
    const states = statesOf(bus);
    proxy.freeze();
    const started = Date.now();
    await bus.close();
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(states.at(-1)).toBe('closed');
    await waitFor(async () => (await socketsTo(new URL(proxy.url).port)) === 0, { timeoutMs: 1_000, description: 'the bus sockets to be destroyed' });
  });
});

describe('close deadline (memory)', () => {
  it('close deadline - while blocked, close({ timeoutMs }) resolves by then and held publishes reject CLOSED', async () => {
    const url = `memory://${names('close-blocked').queue}`;
    const bus = await connectBus({ url, publishTimeoutMs: 30_000 });
    MemoryBroker.named(new URL(url).host).block('memory alarm (test)');
    const held = bus.publish(orderEvent());
    held.catch(() => undefined);
    const started = Date.now();
    await bus.close({ timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(1_500);
    const error = await expectRxError(held, ConnectionError, ErrorCode.CLOSED);
    expect(error.message).toMatch(/deadline/);
  });
});
