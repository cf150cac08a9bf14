import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type EventBusOptions, resolveOptions } from '../../src/bus/options.js';
import { Secret } from '../../src/bus/secret.js';
import { ConfigError, ErrorCode, isRxPubsubError } from '../../src/errors.js';
import { consoleLogger, silentLogger } from '../../src/logger.js';
import { redactUrl } from '../../src/redact-url.js';

/** The ConfigError resolveOptions throws for `options`; fails the test when it resolves. */
function refusal(options: unknown): ConfigError {
  // Every case but the url's own gets a url, so that it is refused for what it tests.
  const withUrl = typeof options === 'object' && options !== null && !('url' in options) ? { url: 'memory://x', ...options } : options;
  try {
    resolveOptions(withUrl as EventBusOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect(isRxPubsubError(error, ErrorCode.INVALID_OPTIONS)).toBe(true);
    return error as ConfigError;
  }
  throw new Error(`expected resolveOptions to refuse ${inspect(options)}`);
}

describe('resolveOptions', () => {
  it('resolveOptions - applies every default', () => {
    const resolved = resolveOptions({ url: 'memory://default' });
    expect(resolved.urls.reveal()).toEqual(['memory://default']);
    expect(resolved).toStrictEqual({
      urls: expect.any(Secret),
      exchange: 'events',
      queue: undefined,
      queueOptions: { durable: true, exclusive: false, autoDelete: false, arguments: {}, singleActiveConsumer: false, type: 'quorum' },
      prefetch: 16,
      handlerTimeoutMs: 30_000,
      retry: undefined,
      maxRedeliveries: 10,
      maxPendingPublishes: 10_000,
      maxMessageBytes: 134_217_728,
      mandatory: false,
      publishTimeoutMs: 30_000,
      connectTimeoutMs: 10_000,
      heartbeatSeconds: 10,
      reconnectDelayMs: 1_000,
      connectionName: 'rx-pubsub',
      tls: undefined,
      logger: silentLogger,
      catalog: undefined,
      healthGracePeriodMs: 30_000,
      telemetry: { enabled: true, tracerProvider: undefined, meterProvider: undefined },
    });
  });

  it('resolveOptions - url is required: a missing one is INVALID_OPTIONS, never a silent in-memory broker', () => {
    for (const options of [{}, { url: undefined }, { queue: 'orders' }]) {
      expect(() => resolveOptions(options as never)).toThrow(/EventBus option url is required.*memory:\/\/NAME/);
    }
  });

  it('resolveOptions - keeps every option given', () => {
    const logger = consoleLogger();
    const resolved = resolveOptions({
      url: ['amqp://a:5672', 'amqps://b:5671/vh'],
      exchange: 'shop.events',
      queue: 'order-service',
      queueOptions: { durable: false, arguments: { 'x-message-ttl': 60_000 } },
      prefetch: 1,
      handlerTimeoutMs: 5,
      retry: { attempts: 4, delaysMs: [1_000, 10_000], maxDelayMs: 60_000 },
      maxRedeliveries: 0,
      maxPendingPublishes: 1,
      mandatory: true,
      publishTimeoutMs: 6,
      connectTimeoutMs: 7,
      heartbeatSeconds: 0,
      reconnectDelayMs: 10,
      connectionName: 'orders',
      tls: { rejectUnauthorized: false },
      logger,
      healthGracePeriodMs: 5_000,
    });
    expect(resolved.urls.reveal()).toEqual(['amqp://a:5672', 'amqps://b:5671/vh']);
    expect(resolved.tls?.reveal()).toEqual({ rejectUnauthorized: false });
    expect(resolved).toStrictEqual({
      urls: expect.any(Secret),
      exchange: 'shop.events',
      queue: 'order-service',
      queueOptions: {
        durable: false,
        exclusive: false,
        autoDelete: false,
        arguments: { 'x-message-ttl': 60_000 },
        singleActiveConsumer: false,
        type: 'classic',
      },
      prefetch: 1,
      handlerTimeoutMs: 5,
      retry: { attempts: 4, delaysMs: [1_000, 10_000], maxDelayMs: 60_000 },
      maxRedeliveries: 0,
      maxPendingPublishes: 1,
      maxMessageBytes: 134_217_728,
      mandatory: true,
      publishTimeoutMs: 6,
      connectTimeoutMs: 7,
      heartbeatSeconds: 0,
      reconnectDelayMs: 10,
      connectionName: 'orders',
      tls: expect.any(Secret),
      logger: expect.any(Object),
      catalog: undefined,
      healthGracePeriodMs: 5_000,
      telemetry: { enabled: true, tracerProvider: undefined, meterProvider: undefined },
    });
  });

  it('resolveOptions - the logger given is called through a guard: its lines arrive, its throws do not', () => {
    const lines: unknown[] = [];
    const throwing = {
      debug: () => { throw new Error('debug broke'); },
      info: (fields: object, message: string) => void lines.push([fields, message]),
      warn: () => { throw new Error('warn broke'); },
      error: () => { throw Object.create(null); },
      child: () => { throw new Error('child broke'); },
    };
    const { logger } = resolveOptions({ url: 'memory://x', logger: throwing });
    logger.info({ queue: 'q' }, 'hello');
    expect(lines).toEqual([[{ queue: 'q' }, 'hello']]);
    expect(() => {
      logger.debug({}, 'a');
      logger.warn({}, 'b');
      logger.error({}, 'c');
      logger.child({ channel: 'x' }).warn({}, 'd');
    }).not.toThrow();
  });

  it('resolveOptions - quorum queues are accepted with the default durable, non-exclusive, non-auto-delete queue', () => {
    expect(resolveOptions({ url: 'memory://q', queueOptions: { type: 'quorum' } }).queueOptions).toStrictEqual({
      durable: true,
      exclusive: false,
      autoDelete: false,
      arguments: {},
      singleActiveConsumer: false,
      type: 'quorum',
    });
  });

  it('resolveOptions - the queue type defaults to quorum, and to classic for a temporary queue (exclusive, auto-delete or not durable)', () => {
    const typeOf = (queueOptions: object): string => resolveOptions({ url: 'memory://q', queueOptions }).queueOptions.type;
    expect(typeOf({})).toBe('quorum');
    expect(typeOf({ singleActiveConsumer: true, arguments: { 'x-message-ttl': 1_000 } })).toBe('quorum');
    expect(typeOf({ exclusive: true })).toBe('classic');
    expect(typeOf({ autoDelete: true })).toBe('classic');
    expect(typeOf({ durable: false })).toBe('classic');
    expect(typeOf({ type: 'classic' })).toBe('classic');
    expect(typeOf({ exclusive: true, type: undefined })).toBe('classic');
  });

  it('resolveOptions - singleActiveConsumer is kept, on both queue types', () => {
    for (const type of ['classic', 'quorum'] as const) {
      expect(resolveOptions({ url: 'memory://q', queueOptions: { type, singleActiveConsumer: true } }).queueOptions).toMatchObject({
        type,
        singleActiveConsumer: true,
      });
    }
  });

  it('resolveOptions - queue arguments the queue type accepts are kept: x-max-priority on classic, x-delivery-limit above maxRedeliveries on quorum', () => {
    const classic = { type: 'classic', arguments: { 'x-max-priority': 10, 'x-queue-mode': 'lazy' } } as const;
    expect(resolveOptions({ url: 'memory://q', queueOptions: classic }).queueOptions.arguments).toEqual(classic.arguments);
    const quorum = { arguments: { 'x-delivery-limit': 4, 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } };
    expect(resolveOptions({ url: 'memory://q', maxRedeliveries: 3, queueOptions: quorum }).queueOptions.arguments).toEqual(quorum.arguments);
  });

  it.each([
    ['queueOptions.singleActiveConsumer', { singleActiveConsumer: 'yes' }, {}, /must be true or false/],
    ['queueOptions.singleActiveConsumer', { singleActiveConsumer: true, exclusive: true }, {}, /cannot go with exclusive: true: no other connection could use the queue to take over/],
    ["queueOptions.arguments['x-max-priority']", { arguments: { 'x-max-priority': 10 } }, {}, /is refused by RabbitMQ on a quorum queue: set queueOptions.type: 'classic' to use it/],
    ["queueOptions.arguments['x-queue-mode']", { arguments: { 'x-queue-mode': 'lazy' } }, {}, /refused by RabbitMQ on a quorum queue/],
    ["queueOptions.arguments['x-delivery-limit']", { exclusive: true, arguments: { 'x-delivery-limit': 5 } }, {}, /refused by RabbitMQ on a classic queue: it is for quorum queues/],
    ["queueOptions.arguments['x-queue-type']", { arguments: { 'x-queue-type': 'classic' } }, {}, /is set by queueOptions.type: use that instead/],
    ["queueOptions.arguments['x-single-active-consumer']", { arguments: { 'x-single-active-consumer': true } }, {}, /is set by queueOptions.singleActiveConsumer/],
    ["queueOptions.arguments['x-delivery-limit']", { arguments: { 'x-delivery-limit': 10 } }, {}, /must be an integer above maxRedeliveries \(10; got 10\): at or below it the broker dead-letters a poison message before the bus does, without the reason header/],
    ["queueOptions.arguments['x-delivery-limit']", { arguments: { 'x-delivery-limit': 3 } }, { maxRedeliveries: 3 }, /above maxRedeliveries \(3; got 3\)/],
    ["queueOptions.arguments['x-delivery-limit']", { arguments: { 'x-delivery-limit': '20' } }, {}, /must be an integer above maxRedeliveries \(10; got "20"\)/],
    ["queueOptions.arguments['x-dead-letter-strategy']", { arguments: { 'x-dead-letter-strategy': 'at-least-once' } }, {}, /'at-least-once' needs 'x-overflow': 'reject-publish' \(without it RabbitMQ falls back to at-most-once, silently\)/],
  ] as const)('resolveOptions - refuses a bad %s (%j)', (option, queueOptions, more, fix) => {
    const error = refusal({ ...more, queueOptions });
    expect(error.message.startsWith(`EventBus option ${option} `)).toBe(true);
    expect(error.message).toMatch(fix);
  });

  it('resolveOptions - a retry policy is kept as a frozen copy, so later changes to the given object do not reach the bus', () => {
    const given = { attempts: 3, delaysMs: 500, factor: 3 };
    const { retry } = resolveOptions({ url: 'memory://q', retry: given });
    given.attempts = 99;
    expect(retry).toStrictEqual({ attempts: 3, delaysMs: 500, factor: 3 });
    expect(Object.isFrozen(retry)).toBe(true);
  });

  it('resolveOptions - a single url becomes a list of one', () => {
    expect(resolveOptions({ url: 'amqp://guest:guest@localhost' }).urls.reveal()).toEqual(['amqp://guest:guest@localhost']);
  });

  describe('resolveOptions - each invalid option is refused with INVALID_OPTIONS, naming it', () => {
    const INVALID: readonly (readonly [option: string, options: Record<string, unknown>, fix: RegExp])[] = [
      ['url', { url: 'http://broker' }, /amqp:\/\/, amqps:\/\/ or memory:\/\/NAME/],
      ['url', { url: 'memory://' }, /memory:\/\/NAME/],
      ['url', { url: 42 }, /amqp:\/\//],
      ['url', { url: [] }, /at least one broker/],
      ['url', { url: ['memory://a', 'amqp://b'] }, /cannot be mixed/],
      ['url', { url: 'amqp://bro ker' }, /is not a valid URL/],
      ['exchange', { exchange: '' }, /1-200 characters/],
      ['exchange', { exchange: 'my events' }, /1-200 characters/],
      ['exchange', { exchange: 'amq.topic' }, /not starting with "amq\."/],
      ['exchange', { exchange: 'x'.repeat(201) }, /1-200 characters/],
      ['queue', { queue: '' }, /1-200 characters/],
      ['queue', { queue: 'a/b' }, /1-200 characters/],
      ['queue', { queue: 7 }, /1-200 characters/],
      ['queueOptions', { queueOptions: 'durable' }, /must be an object/],
      ['queueOptions.durable', { queueOptions: { durable: 'yes' } }, /must be true or false/],
      ['queueOptions.exclusive', { queueOptions: { exclusive: 1 } }, /must be true or false/],
      ['queueOptions.autoDelete', { queueOptions: { autoDelete: null } }, /must be true or false/],
      ['queueOptions.arguments', { queueOptions: { arguments: [] } }, /object of x- arguments/],
      ['queueOptions.ttl', { queueOptions: { ttl: 5 } }, /is not a queue option; use durable, exclusive, autoDelete, arguments, type, singleActiveConsumer/],
      ['queueOptions.type', { queueOptions: { type: 'stream' } }, /must be 'classic' or 'quorum' \(got "stream"\)/],
      ['queueOptions.type', { queueOptions: { type: 'quorum', exclusive: true } }, /'quorum' needs durable: true, exclusive: false and autoDelete: false/],
      ['queueOptions.type', { queueOptions: { type: 'quorum', autoDelete: true } }, /'quorum' needs durable: true/],
      ['queueOptions.type', { queueOptions: { type: 'quorum', durable: false } }, /'quorum' needs durable: true/],
      ['retry', { retry: 3 }, /must be an object \{ attempts, delaysMs \}/],
      ['retry', { retry: null }, /must be an object/],
      ['retry', { retry: { attempts: 0, delaysMs: 1000 } }, /attempts must be an integer from 1 to 1000 \(got 0\)/],
      ['retry', { retry: { attempts: 3, delaysMs: [] } }, /delaysMs must be a number or a non-empty list/],
      ['retry', { retry: { attempts: 3, delaysMs: 100, factor: 0.5 } }, /factor must be a number from 1 to 100 \(got 0\.5\)/],
      ['retry', { retry: { attempts: 3, delaysMs: 100, maxDelayMs: 0 } }, /maxDelayMs must be a positive integer/],
      ['retry', { retry: { attempts: 3, delaysMs: 100, delay: 5 } }, /has an unknown field "delay"/],
      ['maxRedeliveries', { maxRedeliveries: -1 }, /integer from 0 to 1000000 \(got -1\)/],
      ['maxRedeliveries', { maxRedeliveries: 2.5 }, /integer from 0 to 1000000/],
      ['maxPendingPublishes', { maxPendingPublishes: 0 }, /integer from 1 to 10000000 \(got 0\)/],
      ['mandatory', { mandatory: 'yes' }, /must be true or false/],
      ['prefetch', { prefetch: 0 }, /integer from 1 to 65535 \(got 0\)/],
      ['prefetch', { prefetch: 1.5 }, /integer from 1 to 65535/],
      ['prefetch', { prefetch: '16' }, /integer from 1 to 65535/],
      ['prefetch', { prefetch: 65_536 }, /integer from 1 to 65535/],
      ['handlerTimeoutMs', { handlerTimeoutMs: 0 }, /integer from 1 to/],
      ['handlerTimeoutMs', { handlerTimeoutMs: Number.NaN }, /integer from 1 to/],
      ['handlerTimeoutMs', { handlerTimeoutMs: 2 ** 31 }, /integer from 1 to 2147483647/],
      ['publishTimeoutMs', { publishTimeoutMs: -1 }, /integer from 1 to/],
      ['connectTimeoutMs', { connectTimeoutMs: Number.POSITIVE_INFINITY }, /integer from 1 to/],
      ['heartbeatSeconds', { heartbeatSeconds: -1 }, /integer from 0 to 3600/],
      ['reconnectDelayMs', { reconnectDelayMs: 5 }, /integer from 10 to 600000/],
      ['connectionName', { connectionName: '' }, /non-empty string/],
      ['connectionName', { connectionName: 'x'.repeat(256) }, /at most 255 bytes.*got 256 bytes/],
      ['connectionName', { connectionName: 'é'.repeat(128) }, /at most 255 bytes.*got 256 bytes/],
      ['tls', { tls: 'not-an-object' }, /must be an object/],
      ['tls', { tls: ['ca'] }, /must be an object/],
      ['tls.ca', { tls: { ca: 12345 } }, /string or Buffer \(PEM\), or an array of them \(got number\)/],
      ['tls.ca', { tls: { ca: ['pem', 5] } }, /or an array of them/],
      ['tls.cert', { tls: { cert: {} } }, /string or Buffer/],
      ['tls.rejectUnauthorized', { tls: { rejectUnauthorized: 'no' } }, /true or false/],
      ['tls.minVersion', { tls: { minVersion: 'SSLv3' } }, /TLSv1\.3/],
      ['tls.verify', { tls: { verify: true } }, /is not a TLS option/],
      ['logger', { logger: {} }, /must have a debug\(\) method/],
      ['logger', { logger: { debug() {}, info() {}, warn() {}, error() {} } }, /must have a child\(\) method/],
    ];

    it.each(INVALID)('resolveOptions - refuses a bad %s (%j)', (option, options, fix) => {
      const error = refusal(options);
      // "retry .attempts" or "retry.attempts": the option comes first either way.
      expect(error.message).toMatch(new RegExp(`^EventBus option ${option.replace(/[.*]/g, '\\$&')}[ .]`));
      expect(error.message).toMatch(fix);
    });

    it('resolveOptions - options whose getter throws are INVALID_OPTIONS, not the getter\'s error', () => {
      const hostile = { url: 'memory://x', get queue(): string { throw new Error('getter broke'); } };
      expect(refusal(hostile).message).toMatch(/EventBus option options could not be read \(getter broke\)/);
    });

    it('resolveOptions - refuses an unknown option, listing the known ones', () => {
      const error = refusal({ url: 'memory://x', prefech: 10 });
      expect(error.message).toContain('EventBus option prefech is not an option');
      expect(error.message).toContain('prefetch');
    });

    it.each(['host', 'durable', 'retries'])('resolveOptions - refuses the unknown option %j', (name) => {
      expect(refusal({ [name]: true }).message).toContain(`option ${name} is not an option`);
    });

    it('resolveOptions - refuses options that are not an object', () => {
      expect(refusal(null).message).toContain('EventBus option options must be an object');
      expect(refusal('memory://x').message).toContain('must be an object');
    });

    it('resolveOptions - refuses an inherited name as a queue option', () => {
      expect(refusal({ queueOptions: { constructor: 1 } }).message).toContain('queueOptions.constructor');
    });

    it('resolveOptions - refuses a BigInt exchange with INVALID_OPTIONS', () => {
      expect(refusal({ exchange: 5n }).message).toContain('exchange');
    });
  });

  describe('resolveOptions - passwords never appear in url errors', () => {
    it.each([
      ['amqp://user:s3cr3t-pw@bro ker:5672', 'amqp://user:***@bro ker:5672'],
      ['http://user:s3cr3t-pw@broker', 'http://user:***@broker'],
      ['amqp://user:s3cr3t-pw@', 'amqp://user:***@'],
    ])('resolveOptions - the error for %j shows the url redacted', (url, shown) => {
      const error = refusal({ url });
      expect(error.message).toContain(shown);
      expect(error.message).not.toContain('s3cr3t-pw');
    });

    it('resolveOptions - a bad url in a cluster list is redacted too', () => {
      const error = refusal({ url: ['amqp://a:5672', 'ftp://admin:s3cr3t-pw@b'] });
      expect(error.message).toContain('ftp://admin:***@b');
      expect(error.message).not.toContain('s3cr3t-pw');
    });

    it('resolveOptions - the password is not in the error cause either', () => {
      const error = refusal({ url: 'amqp://user:s3cr3t-pw@bro ker:5672' });
      expect(inspect(error, { depth: 5 })).not.toContain('s3cr3t-pw');
    });

    it('resolveOptions - a password with an unescaped "/" is not shown', () => {
      const error = refusal({ url: 'amqp://user:pa/ss-word@broker' });
      expect(error.message).not.toContain('ss-word');
    });
  });
});

describe('redactUrl', () => {
  it.each([
    ['amqp://user:secret@host', 'amqp://user:***@host'],
    ['amqps://user:secret@host:5671/vhost', 'amqps://user:***@host:5671/vhost'],
    ['amqp://guest:guest@127.0.0.1:5672', 'amqp://guest:***@127.0.0.1:5672'],
    ['amqp://user:p%40ss%2Fword@host', 'amqp://user:***@host'],
    ['amqp://:secret@host', 'amqp://:***@host'],
    ['AMQP://User:Secret@Host', 'AMQP://User:***@Host'],
  ])('redactUrl - %j becomes %j', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });

  it.each(['amqp://host', 'amqp://user@host', 'amqp://host:5672/vhost', 'memory://demo', 'not a url'])('redactUrl - leaves %j unchanged', (url) => {
    expect(redactUrl(url)).toBe(url);
  });

  it('redactUrl - hides a password containing an unescaped "@"', () => {
    expect(redactUrl('amqp://user:p@ss@host')).toBe('amqp://user:***@host');
  });
});
