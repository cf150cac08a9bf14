/**
 * The public surface, pinned: the runtime export names of each entry point
 * of package.json `exports`, sorted. Adding, removing or moving an export
 * fails here on purpose: `rx-pubsub-amqp` and `rx-pubsub-amqp/testing` are under
 * semver, `rx-pubsub-amqp/blocks` is @experimental. Change the list together with
 * docs/api-surface.md, in the same commit.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as blocks from '../../src/blocks.js';
import * as main from '../../src/index.js';
import * as testing from '../../src/testing/index.js';

const root = resolve(import.meta.dirname, '../..');

const PUBLIC = [
  'ConfigError',
  'ConnectionError',
  'DeadLetterHeader',
  'DeliveryError',
  'EVENT_LIMITS',
  'ErrorCode',
  'EventBus',
  'EventValidationError',
  'MAX_DATA_DEPTH',
  'PATTERN_LIMITS',
  'PublishError',
  'RxPubsubError',
  'RxPubsubHeader',
  'consoleLogger',
  'createCatalog',
  'createEvent',
  'deadLetters',
  'defineEvent',
  'isRxPubsubError',
  'routingKeyOf',
  'silentLogger',
];

const TESTING = [
  'MemoryBroker',
  'SettlementLetter',
  'advanceVirtualTime',
  'memoryBroker',
  'memoryUrl',
  'routeMarbles',
  'settlementLetter',
  'testBus',
];

const BLOCKS = [
  'AmqpTransport',
  'JSON_CONTENT_TYPE',
  'MemoryTransport',
  'Registry',
  'bindingKeysOf',
  'compilePattern',
  'decodeEvent',
  'encodeEvent',
  'eventJson',
  'guardedLogger',
  'processDeliveries',
  'runHandler',
];

describe('api surface', () => {
  it("api surface - 'rx-pubsub-amqp' exports exactly the public API (under semver)", () => {
    expect(Object.keys(main).sort()).toEqual(PUBLIC);
  });

  it("api surface - 'rx-pubsub-amqp/testing' exports exactly the test kit (under semver)", () => {
    expect(Object.keys(testing).sort()).toEqual(TESTING);
  });

  it("api surface - 'rx-pubsub-amqp/blocks' exports exactly the experimental building blocks", () => {
    expect(Object.keys(blocks).sort()).toEqual(BLOCKS);
  });

  it("api surface - 'rx-pubsub-amqp' exports the types of bus.health() and of a transport's publisherStatus()", () => {
    expectTypeOf<ReturnType<main.EventBus['health']>>().toEqualTypeOf<main.BusHealth>();
    expectTypeOf<main.BusHealth['status']>().toEqualTypeOf<main.HealthStatus>();
    expectTypeOf<main.HealthStatus>().toEqualTypeOf<'up' | 'degraded' | 'down'>();
    expectTypeOf<NonNullable<main.BusHealth['consumer']>>().toEqualTypeOf<main.ConsumerHealth>();
    expectTypeOf<NonNullable<main.ConsumerHealth['lastError']>>().toEqualTypeOf<main.HealthError>();
    expectTypeOf<main.BusHealth['publisher']>().toEqualTypeOf<main.PublisherStatus>();
    expectTypeOf<ReturnType<NonNullable<main.Transport['publisherStatus']>>>().toEqualTypeOf<main.PublisherStatus>();
  });

  it('api surface - a name lives in one entry only', () => {
    const all = [...PUBLIC, ...TESTING, ...BLOCKS];
    expect(new Set(all).size).toBe(all.length);
  });

  it('api surface - package.json exports these three entries (and package.json), nothing else', () => {
    const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
      typesVersions: Record<string, Record<string, string[]>>;
    };
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './blocks', './package.json', './testing']);
    const entry = (file: string) => ({
      types: `./dist/${file}.d.ts`,
      import: `./dist/${file}.js`,
      require: `./dist/${file}.js`,
      default: `./dist/${file}.js`,
    });
    expect(pkg.exports['.']).toEqual(entry('index'));
    expect(pkg.exports['./testing']).toEqual(entry('testing/index'));
    expect(pkg.exports['./blocks']).toEqual(entry('blocks'));
    // TypeScript's node10 resolution ignores `exports`: typesVersions gives it the subpaths.
    expect(pkg.typesVersions['*']).toEqual({ testing: ['./dist/testing/index.d.ts'], blocks: ['./dist/blocks.d.ts'] });
  });

  it('api surface - the blocks entry says it is experimental and outside semver', () => {
    const source = readFileSync(resolve(root, 'src/blocks.ts'), 'utf8');
    expect(source).toMatch(/@experimental/);
    expect(source).toMatch(/outside semver/i);
  });
});
