import { describe, expect, it } from 'vitest';
import { createEvent, ErrorCode, EventBus, type EventBusOptions, isRxPubsubError, silentLogger } from '../../src/index.js';
import { MemoryTransport } from '../../src/blocks.js';
import { resolveOptions } from '../../src/bus/options.js';
import type { MessageProperties, OutboundMessage } from '../../src/transport/transport.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { wirePropertiesOf } from '../../src/transport/wire-properties.js';
import { teardown, uniqueName } from '../support/broker.js';

/** A memory transport that keeps what the bus hands it to publish. */
class RecordingTransport extends MemoryTransport {
  readonly sent: OutboundMessage[] = [];

  override publish(message: OutboundMessage): Promise<void> {
    this.sent.push(message);
    return super.publish(message);
  }
}

/** The properties of one event published by a bus with `options`. */
async function publishedProperties(options: Partial<EventBusOptions>): Promise<MessageProperties> {
  const name = uniqueName('wire-options');
  teardown(() => void MemoryBroker.reset(name));
  const transport = new RecordingTransport({ url: `memory://${name}`, logger: silentLogger });
  const bus = await EventBus.connect({ ...options, transport } as EventBusOptions);
  teardown(() => bus.close());
  await bus.publish(createEvent({ domain: 'order', action: 'paid', data: {}, correlationId: 'c-1' }));
  expect(transport.sent).toHaveLength(1);
  return (transport.sent[0] as OutboundMessage).properties;
}

const EVENT = createEvent({ domain: 'order', action: 'created', data: { n: 1 } });

describe('wire options', () => {
  it('wire options - by default a message carries the contract properties only: no appId, no contentEncoding', () => {
    const properties = wirePropertiesOf(EVENT);
    const sent = Object.fromEntries(Object.entries(properties).filter(([, value]) => value !== undefined));
    expect(sent).toStrictEqual({
      contentType: 'application/json',
      deliveryMode: 2,
      messageId: EVENT.id,
      type: 'order.created',
      timestamp: Math.floor(Date.parse(EVENT.timestamp) / 1000),
    });
  });

  it("wire options - the timestamp property is the event's own timestamp in seconds, whatever came before (one is remembered)", () => {
    const at = (timestamp: string) => wirePropertiesOf(createEvent({ domain: 'order', action: 'created', data: {}, timestamp })).timestamp;
    expect(at('2026-01-01T00:00:01.900Z')).toBe(1_767_225_601);
    expect(at('2026-01-01T00:00:01.900Z')).toBe(1_767_225_601);
    expect(at('1970-01-01T00:00:59+00:00')).toBe(59);
    expect(at('2026-01-01T00:00:01.900Z')).toBe(1_767_225_601);
    expect(at('2026-01-01T01:00:01.900+01:00')).toBe(1_767_225_601);
  });

  it('wire options - a bus sends no appId by default, whatever its connectionName', async () => {
    const properties = await publishedProperties({ connectionName: 'orders-service' });
    expect(properties.appId).toBeUndefined();
    expect(properties.contentEncoding).toBeUndefined();
    expect(properties).toMatchObject({ contentType: 'application/json', deliveryMode: 2, type: 'order.paid', correlationId: 'c-1' });
  });

  it('wire options - appId and contentEncoding, when given, go with every message', async () => {
    const properties = await publishedProperties({ appId: 'orders-service', contentEncoding: 'utf-8' });
    expect(properties.appId).toBe('orders-service');
    expect(properties.contentEncoding).toBe('utf-8');
  });

  it('wire options - appId alone sends no contentEncoding', async () => {
    const properties = await publishedProperties({ appId: 'orders-service' });
    expect(properties.appId).toBe('orders-service');
    expect(properties.contentEncoding).toBeUndefined();
  });

  it('wire options - resolveOptions keeps them only when given', () => {
    expect(resolveOptions({ url: 'memory://x' }).wire).toBeUndefined();
    expect(resolveOptions({ url: 'memory://x', appId: 'billing' }).wire).toStrictEqual({ appId: 'billing', contentEncoding: undefined });
  });

  it.each([
    ['appId', { appId: '' }, /appId must be a non-empty string of at most 255 bytes/],
    ['appId', { appId: 'é'.repeat(128) }, /appId .*got 256 bytes/],
    ['appId', { appId: 42 }, /appId .*got 42/],
    ['contentEncoding', { contentEncoding: 'gzip' }, /contentEncoding can only be 'utf-8'.*got "gzip"/],
    ['contentEncoding', { contentEncoding: 'UTF-8' }, /contentEncoding can only be 'utf-8'/],
    ['contentEncoding', { contentEncoding: true }, /contentEncoding can only be 'utf-8'/],
  ])('wire options - %s is refused at connect: %j', async (_name, options, reason) => {
    const error = await EventBus.connect({ url: `memory://${uniqueName('wire-refused')}`, ...(options as object) }).catch(
      (e: unknown) => e,
    );
    expect(isRxPubsubError(error, ErrorCode.INVALID_OPTIONS)).toBe(true);
    expect((error as Error).message).toMatch(reason);
  });
});
