import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  ConnectionError,
  ErrorCode,
  EventBus,
  type EventBusOptions,
  type EventBusSettings,
  PublishError,
  RxPubsubError,
} from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import {
  amqpUrl,
  connectBus,
  deleteExchange,
  expectRxError,
  names,
  orderEvent,
  rawChannel,
  registerCleanup,
  TRANSPORTS,
  waitFor,
} from '../support/bus.js';
import { tcpProxy } from '../support/tcp-proxy.js';

/** Everything an error shows: message, cause chain, stack and String(). */
function everythingShown(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(String(e), e instanceof Error ? (e.stack ?? '') : '');
  }
  return parts.join('\n');
}

/** `amqpUrl()` with another password or port. */
function withUrl(change: (url: URL) => void): string {
  const url = new URL(amqpUrl());
  change(url);
  return url.toString();
}

describe('errors (amqp)', () => {
  it('errors - no broker listening: ConnectionError CONNECTION_FAILED naming the URL without the password', async () => {
    const url = withUrl((u) => {
      u.password = 'pw-never-shown-1';
      u.port = '1';
    });
    const started = Date.now();
    const error = await expectRxError(EventBus.connect({ url, connectTimeoutMs: 1_000 }), ConnectionError, ErrorCode.CONNECTION_FAILED);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error.message).toContain('127.0.0.1:1');
    expect(error.message).toContain('***');
    expect(everythingShown(error)).not.toContain('pw-never-shown-1');
    expect(error.retriable).toBe(true);
  });

  it('errors - a wrong password: CONNECTION_FAILED, not retriable, password redacted', async () => {
    const url = withUrl((u) => {
      u.password = 'pw-never-shown-2';
    });
    const started = Date.now();
    const error = await expectRxError(EventBus.connect({ url, connectTimeoutMs: 5_000 }), ConnectionError, ErrorCode.CONNECTION_FAILED);
    // Refused at once, not after the connect timeout.
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(error.retriable).toBe(false);
    expect(error.message).toMatch(/refused the login/i);
    expect(everythingShown(error)).not.toContain('pw-never-shown-2');
  });

  it('errors - an existing exchange of another type: ConnectionError TOPOLOGY_FAILED on connect', async () => {
    const { exchange } = names('topo-x');
    registerCleanup(amqpUrl(), exchange);
    const channel = await rawChannel();
    await channel.assertExchange(exchange, 'direct', { durable: true });
    const error = await expectRxError(EventBus.connect({ url: amqpUrl(), exchange, connectTimeoutMs: 5_000 }), ConnectionError, ErrorCode.TOPOLOGY_FAILED);
    expect(error.message).toContain(exchange);
  });

  it('errors - an exchange deleted under a running bus: publish rejects PUBLISH_REFUSED, a later publish works', async () => {
    const { exchange } = names('gone-x');
    const bus = await connectBus({ url: amqpUrl(), exchange });
    await bus.publish(orderEvent());
    await deleteExchange(exchange);

    const error = await expectRxError(bus.publish(orderEvent()), PublishError, ErrorCode.PUBLISH_REFUSED);
    expect(error.message).toContain(exchange);

    // The publish channel is reopened and declares the exchange again.
    await waitFor(
      async () => {
        await bus.publish(orderEvent('paid'));
        return true;
      },
      { timeoutMs: 5_000, description: 'a publish after the refusal to be confirmed' },
    );
    const channel = await rawChannel();
    await expect(channel.checkExchange(exchange)).resolves.toBeDefined();
  });

  it('errors - after an exchange deleted under a consuming bus, its queue is bound again and events are handled', async () => {
    const { exchange, queue } = names('gone-bound');
    const bus = await connectBus({ url: amqpUrl(), exchange, queue });
    const handled: string[] = [];
    bus.handle('order.*', (event) => void handled.push(event.action));
    await bus.ready();
    await deleteExchange(exchange); // the bindings go with it

    await expectRxError(bus.publish(orderEvent('created')), PublishError, ErrorCode.PUBLISH_REFUSED);
    await waitFor(
      async () => {
        await bus.publish(orderEvent('paid'));
        return handled.includes('paid');
      },
      { timeoutMs: 10_000, intervalMs: 200, description: 'an event published after the refusal to reach the handler' },
    );
  });

  it('errors - a publish the broker nacks (a full reject-publish queue): PUBLISH_REFUSED, later publishes work', async () => {
    const { exchange } = names('nack');
    const bus = await connectBus({ url: amqpUrl(), exchange });
    const channel = await rawChannel();
    const full = names('nack-full').queue;
    registerCleanup(amqpUrl(), undefined, full);
    await channel.assertQueue(full, { arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
    await channel.bindQueue(full, exchange, 'order.created');

    await bus.publish(orderEvent('created'));
    const error = await expectRxError(bus.publish(orderEvent('created')), PublishError, ErrorCode.PUBLISH_REFUSED);
    expect(error.message).toContain('order.created');
    await bus.publish(orderEvent('paid')); // routed elsewhere (nowhere): confirmed
    expect(bus.stats().published).toBe(2);
  });

  it('errors - the logger never sees the password, whatever goes wrong', async () => {
    const lines: string[] = [];
    const logger = {
      debug: (fields: object, message: string) => void lines.push(`${message} ${JSON.stringify(fields)}`),
      info: (fields: object, message: string) => void lines.push(`${message} ${JSON.stringify(fields)}`),
      warn: (fields: object, message: string) => void lines.push(`${message} ${JSON.stringify(fields)}`),
      error: (fields: object, message: string) => void lines.push(`${message} ${JSON.stringify(fields)}`),
      child: () => logger,
    };
    const unreachable = withUrl((u) => {
      u.password = 'pw-never-logged-1';
      u.port = '1';
    });
    await expectRxError(EventBus.connect({ url: unreachable, connectTimeoutMs: 500, logger }), ConnectionError, ErrorCode.CONNECTION_FAILED);
    const refused = withUrl((u) => {
      u.password = 'pw-never-logged-2';
    });
    await expectRxError(EventBus.connect({ url: refused, connectTimeoutMs: 3_000, logger }), ConnectionError, ErrorCode.CONNECTION_FAILED);
    // And a working bus that connects, fails a handler, reconnects through a cut proxy and closes.
    const proxy = await tcpProxy(amqpUrl());
    const { exchange, queue } = names('log');
    const bus = await connectBus({ url: proxy.url, exchange, queue, logger, reconnectDelayMs: 100 });
    bus.handle('order.*', () => Promise.reject(new Error('fails')));
    await bus.ready();
    await bus.publish(orderEvent());
    await waitFor(() => bus.stats().deadLettered === 1, { description: 'the dead letter' });
    proxy.cut();
    await waitFor(() => lines.some((l) => /connected/.test(l)) && bus.stats().deadLettered === 1, { description: 'logs' });
    await bus.publish(orderEvent());
    await bus.close();

    expect(lines.length).toBeGreaterThan(0);
    const all = lines.join('\n');
    expect(all).not.toContain('pw-never-logged-1');
    expect(all).not.toContain('pw-never-logged-2');
    expect(all).not.toContain(`:${new URL(amqpUrl()).password}@`);
  });

  it('errors - several URLs: an unreachable first broker is skipped for the next', async () => {
    const dead = withUrl((u) => {
      u.port = '1';
    });
    const { exchange } = names('multi');
    const bus = await connectBus({ url: [dead, amqpUrl()], exchange, connectTimeoutMs: 5_000, reconnectDelayMs: 100 });
    await bus.publish(orderEvent());
  });

  it('errors - no confirm within publishTimeoutMs (network stalled): PublishError PUBLISH_TIMEOUT', async () => {
    const proxy = await tcpProxy(amqpUrl());
    const { exchange } = names('stall');
    const bus = await connectBus({ url: proxy.url, exchange, publishTimeoutMs: 1_000 });
    await bus.publish(orderEvent()); // the path works before the stall

    proxy.freeze();
    const started = Date.now();
    const error = await expectRxError(bus.publish(orderEvent()), PublishError, ErrorCode.PUBLISH_TIMEOUT);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error.retriable).toBe(true);
    proxy.resume();
    await bus.publish(orderEvent('paid'));
  });
});

describe.each(TRANSPORTS)('errors (%s)', (kind, makeUrl) => {
  it('errors - a queue that exists with other arguments: ConnectionError TOPOLOGY_FAILED on connect', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('topo-q');
    registerCleanup(url, exchange, queue);
    if (kind === 'amqp') {
      const channel = await rawChannel();
      await channel.assertQueue(queue, { durable: true, arguments: { 'x-max-length': 10 } });
    } else {
      MemoryBroker.named(new URL(url).host).declareQueue(queue, { durable: true, exclusive: false, autoDelete: false, arguments: { 'x-max-length': 10 } });
    }
    const error = await expectRxError(EventBus.connect({ url, exchange, queue, connectTimeoutMs: 5_000 }), ConnectionError, ErrorCode.TOPOLOGY_FAILED);
    expect(error.message).toContain(queue);
  });

  it('errors - a queue exclusive to another bus: ConnectionError TOPOLOGY_FAILED on connect', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('locked');
    const owner = await connectBus({ url, exchange, queue, queueOptions: { durable: false, exclusive: true, autoDelete: true } });
    owner.handle('order.*', () => undefined);
    await owner.ready();
    const error = await expectRxError(
      EventBus.connect({ url, exchange, queue, queueOptions: { durable: false, exclusive: true, autoDelete: true }, connectTimeoutMs: 5_000 }),
      ConnectionError,
      ErrorCode.TOPOLOGY_FAILED,
    );
    expect(error.message).toContain(queue);
  });

  const invalid: [string, Partial<EventBusSettings> & { url?: string }, RegExp][] = [
    ['prefetch 0', { prefetch: 0 }, /prefetch/],
    ['prefetch 1.5', { prefetch: 1.5 }, /prefetch/],
    ['negative handlerTimeoutMs', { handlerTimeoutMs: -1 }, /handlerTimeoutMs/],
    ['an unknown option', { prefech: 4 } as never, /prefech/],
    ['an amq. queue name', { queue: 'amq.mine' }, /queue/],
    ['a queue name with spaces', { queue: 'my queue' }, /queue/],
    ['an unknown queue option', { queue: 'q', queueOptions: { durabel: true } as never }, /queueOptions\.durabel/],
    ['an http URL', { url: 'http://guest:pw-never-shown-3@localhost' }, /url/],
    ['a logger without methods', { logger: {} as never }, /logger/],
  ];
  it.each(invalid)('errors - invalid options (%s): ConfigError INVALID_OPTIONS naming the option', async (_what, options, named) => {
    const error = await expectRxError(EventBus.connect({ url: makeUrl(), ...options } as EventBusOptions), ConfigError, ErrorCode.INVALID_OPTIONS);
    expect(error.message).toMatch(named);
    expect(everythingShown(error)).not.toContain('pw-never-shown-3');
  });

  it('errors - handle/on$ without a queue, a bad pattern or a non-handler: ConfigError', async () => {
    const url = makeUrl();
    const publishOnly = await connectBus({ url, exchange: names('noq').exchange });
    await expectRxError(() => publishOnly.handle('order.*', () => undefined), ConfigError, ErrorCode.INVALID_OPTIONS);
    await expectRxError(() => publishOnly.on$('order.*'), ConfigError, ErrorCode.INVALID_OPTIONS);

    const bus = await connectBus({ url, ...names('badarg') });
    await expectRxError(() => bus.handle('', () => undefined), ConfigError, ErrorCode.INVALID_PATTERN);
    await expectRxError(() => bus.handle('order created', () => undefined), ConfigError, ErrorCode.INVALID_PATTERN);
    await expectRxError(() => bus.on$('a/b'), ConfigError, ErrorCode.INVALID_PATTERN);
    await expectRxError(() => bus.handle('order.*', 'not a handler' as never), ConfigError, ErrorCode.INVALID_ARGUMENT);
    await expectRxError(() => bus.handle('order.*', {} as never), ConfigError, ErrorCode.INVALID_ARGUMENT);
  });

  it('errors - calls after close: ConnectionError CLOSED from publish and handle', async () => {
    const bus = await connectBus({ url: makeUrl(), ...names('after-close') });
    await bus.close();
    await expectRxError(bus.publish(orderEvent()), ConnectionError, ErrorCode.CLOSED);
    await expectRxError(() => bus.handle('order.*', () => undefined), ConnectionError, ErrorCode.CLOSED);
    expect(new ConnectionError(ErrorCode.CLOSED, 'x')).toBeInstanceOf(RxPubsubError);
  });
});
