/**
 * publish never throws synchronously: whatever it is given, the caller gets a
 * Promise rejected with an RxPubsubError. handle/on$ refuse hostile arguments
 * with a ConfigError at once, not a TypeError (or a failure on the first event).
 */
import { describe, expect, it } from 'vitest';
import {
  ConfigError, defineEvent, ErrorCode, EventBus, type EventBusOptions, isRxPubsubError, PublishError, RxPubsubError, type StandardSchemaV1,
} from '../../src/index.js';
import { connectBus, expectRxError, names, orderEvent, teardown, TRANSPORTS } from '../support/rig.js';
import { wrappedMemoryTransport } from '../support/wrapped-transport.js';

/** Calls publish and fails the test if it threw instead of returning a Promise. */
function publishing(bus: EventBus, event: unknown): Promise<void> {
  let result: Promise<void> | undefined;
  expect(() => {
    result = bus.publish(event as never);
  }).not.toThrow();
  expect(result).toBeInstanceOf(Promise);
  return result!;
}

async function expectTypedRejection(promise: Promise<void>): Promise<RxPubsubError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(RxPubsubError);
  return error as RxPubsubError;
}

const throwingSchema: StandardSchemaV1 = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: () => {
      throw new Error('schema bug');
    },
  },
};

describe.each(TRANSPORTS)('hostile arguments (%s)', (_kind, makeUrl) => {
  it('hostile arguments - publish of a revoked Proxy or a Proxy whose traps throw rejects with a typed error, and publishing goes on', async () => {
    const bus = await connectBus({ url: makeUrl(), ...names('hostile-pub') });
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    for (const hostile of [revocable.proxy, new Proxy({}, { get: () => { throw new Error('trap'); } }), Object.create(null) as object, 42n]) {
      const error = await expectTypedRejection(publishing(bus, hostile));
      expect(error).toBeInstanceOf(ConfigError);
    }
    await bus.publish(orderEvent());
    expect(bus.stats().published).toBe(1);
  });

  it('hostile arguments - publish options that are Proxies or hold throwing getters reject with a ConfigError, and publishing goes on', async () => {
    const bus = await connectBus({ url: makeUrl(), ...names('hostile-options') });
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    const trap = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
    const getter = Object.defineProperty({}, 'tenant', { enumerable: true, get: () => { throw new Error('getter'); } });
    for (const options of [revocable.proxy, trap, { headers: revocable.proxy }, { headers: trap }, { headers: getter }, { priority: trap }]) {
      let result: Promise<void> | undefined;
      expect(() => (result = bus.publish(orderEvent(), options as never))).not.toThrow();
      const error = await expectTypedRejection(result!);
      expect(error).toBeInstanceOf(ConfigError);
    }
    await bus.publish(orderEvent());
    expect(bus.stats().published).toBe(1);
  });

  it('hostile arguments - a catalog schema that throws makes publish reject with a ConfigError carrying the cause', async () => {
    const Audited = defineEvent('audit', 'logged', { schema: throwingSchema });
    const options = { url: makeUrl(), ...names('hostile-schema'), events: [Audited] } as EventBusOptions & { url: string };
    const bus = (await connectBus(options)) as unknown as EventBus;
    const error = await expectTypedRejection(publishing(bus, Audited.create({ a: 1 } as never)));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error.cause as Error).message).toBe('schema bug');
  });

  it('hostile arguments - handle refuses a revoked Proxy, a handler whose handle getter throws, a hostile pattern and options with a ConfigError', async () => {
    const bus = await connectBus({ url: makeUrl(), ...names('hostile-handle') });
    const revocable = Proxy.revocable(() => undefined, {});
    revocable.revoke();
    await expectRxError(() => bus.handle('order.*', revocable.proxy as never), ConfigError, ErrorCode.INVALID_ARGUMENT);
    const getterThrows = Object.defineProperty({}, 'handle', { get: () => { throw new Error('getter broke'); } });
    await expectRxError(() => bus.handle('order.*', getterThrows as never), ConfigError, ErrorCode.INVALID_ARGUMENT);
    const optionsThrow = Object.defineProperty({}, 'retry', { get: () => { throw new Error('options broke'); } });
    await expectRxError(() => bus.handle('order.*', () => undefined, optionsThrow as never), ConfigError, ErrorCode.INVALID_OPTIONS);
    const hostilePattern = { toString: () => { throw new Error('toString broke'); } };
    const error = await expectRxError(() => bus.handle(hostilePattern as never, () => undefined), ConfigError, ErrorCode.INVALID_PATTERN);
    expect(isRxPubsubError(error)).toBe(true);
    await expectRxError(() => bus.on$(Symbol('p') as never), ConfigError, ErrorCode.INVALID_PATTERN);
  });
});

describe('hostile arguments - encoding and transport', () => {
  it('hostile arguments - data whose JSON is longer than V8\'s longest string rejects with INVALID_DATA instead of throwing a RangeError', async () => {
    const bus = await connectBus({ url: `memory://${names('hostile-big').queue}` });
    const half = 'x'.repeat(2 ** 28); // referenced twice: its JSON passes 2^29 characters
    const event = { ...orderEvent(), data: { a: half, b: half } };
    const error = await expectTypedRejection(publishing(bus, event));
    expect(error.code).toBe(ErrorCode.INVALID_DATA);
    expect(error.cause).toBeInstanceOf(RangeError);
  }, 30_000);

  it('hostile arguments - a transport whose publish throws synchronously makes publish reject with a PublishError', async () => {
    const { transport } = wrappedMemoryTransport('hostile-transport', {
      publish: () => {
        throw new TypeError('transport bug');
      },
    });
    const bus = await EventBus.connect({ transport });
    teardown(() => bus.close());
    const error = await expectTypedRejection(publishing(bus, orderEvent()));
    expect(error).toBeInstanceOf(PublishError);
    expect(error.cause).toBeInstanceOf(TypeError);
  });
});
