import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { createEvent, type Event } from '../../src/index.js';
import {
  amqpUrl,
  brokerView,
  collectSettlements,
  connectBus,
  names,
  rawChannel,
  TRANSPORTS,
  uniqueName,
  waitFor,
  waitForCount,
} from '../support/bus.js';

/** The properties a message was sent with: amqplib reports every property, undefined when absent; an empty header table is none. */
function sentProperties(message: { readonly properties: object }): Record<string, unknown> {
  const entries = Object.entries(message.properties).filter(
    ([key, value]) => value !== undefined && !(key === 'headers' && Object.keys(value as object).length === 0),
  );
  return Object.fromEntries(entries);
}

describe('wire format (amqp)', () => {
  it('wire format - a raw amqplib consumer reads the event as JSON with the AMQP properties of the contract', async () => {
    const { exchange } = names('wire');
    const bus = await connectBus({ url: amqpUrl(), exchange });
    const channel = await rawChannel();
    const queue = uniqueName('wire-raw');
    await channel.assertQueue(queue, { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, exchange, '#');
    const received: ConsumeMessage[] = [];
    await channel.consume(
      queue,
      (message) => {
        if (message) received.push(message);
      },
      { noAck: true },
    );

    const event = createEvent({
      domain: 'order',
      action: 'created',
      data: { order_id: 'A1', lines: [{ sku: 'X', qty: 2 }], note: 'Grüße ✓' },
      correlationId: 'corr-1',
      metadata: { tenant: 'acme' },
    });
    const before = Math.floor(Date.now() / 1000);
    await bus.publish(event);
    await waitFor(() => received.length === 1, { description: 'the raw consumer to get the message' });

    const [message] = received as [ConsumeMessage];
    expect(JSON.parse(message.content.toString('utf8'))).toEqual(event);
    expect(message.fields.exchange).toBe(exchange);
    expect(message.fields.routingKey).toBe('order.created');
    // Exactly the contract's properties: no contentEncoding, no appId (opt-in since they cost the broker CPU on every message).
    expect(sentProperties(message)).toStrictEqual({
      contentType: 'application/json',
      deliveryMode: 2,
      messageId: event.id,
      type: 'order.created',
      timestamp: Math.floor(Date.parse(event.timestamp) / 1000),
      correlationId: 'corr-1',
    });
    expect(Math.abs((message.properties.timestamp as number) - before)).toBeLessThanOrEqual(2);
  });

  it('wire format - appId and contentEncoding, opted in, reach a raw amqplib consumer; connectionName is not the appId', async () => {
    const { exchange } = names('wire-optin');
    const bus = await connectBus({
      url: amqpUrl(),
      exchange,
      connectionName: 'orders-connection',
      appId: 'orders-service',
      contentEncoding: 'utf-8',
    });
    const view = await brokerView(amqpUrl());
    const queue = uniqueName('wire-optin-raw');
    await view.declareBoundQueue(exchange, queue, 'order.*');
    const event = createEvent({ domain: 'order', action: 'paid', data: { amount: 3 } });
    await bus.publish(event);
    const [message] = await view.take(queue);
    expect(message && sentProperties(message)).toStrictEqual({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      messageId: event.id,
      type: 'order.paid',
      timestamp: Math.floor(Date.parse(event.timestamp) / 1000),
      appId: 'orders-service',
    });
  });

  it('wire format - a persistent message survives in a durable queue as persistent', async () => {
    // The property read back by a raw basic.get, after the message sat in a durable queue, is what RabbitMQ stored.
    const { exchange } = names('wire-persist');
    const bus = await connectBus({ url: amqpUrl(), exchange });
    const view = await brokerView(amqpUrl());
    const queue = uniqueName('wire-persist-raw');
    await view.declareBoundQueue(exchange, queue, 'order.*');
    await bus.publish(createEvent({ domain: 'order', action: 'paid', data: {} }));
    const [message] = await view.take(queue);
    expect(message?.properties.deliveryMode).toBe(2);
  });
});

describe.each(TRANSPORTS)('wire format (%s)', (_kind, makeUrl) => {
  /** An event as another service would write it: plain JSON, no rx-pubsub involved. */
  function foreignEvent(fields: Partial<Event> = {}): Event {
    return {
      id: `foreign-${uniqueName('id')}`,
      domain: 'order',
      action: 'paid',
      data: { order_id: 'B7', amount: 12.5, tags: ['a', 'b'], nested: { ok: true, none: null } },
      version: 2,
      timestamp: '2024-05-01T10:00:00.000Z',
      correlationId: 'corr-9',
      causationId: 'cause-3',
      metadata: { source: 'python-service' },
      ...fields,
    };
  }

  // The contract format, and what rx-pubsub sent before appId and contentEncoding became opt-in (still in queues, and still sent by older services).
  it.each([
    ['a message published by a foreign client in the contract format is handled like ours', 'foreign', {}],
    [
      'a message in the older wire format (contentEncoding utf-8, appId) is handled like the current one',
      'foreign-old',
      { contentEncoding: 'utf-8', correlationId: 'corr-9', appId: 'rx-pubsub' },
    ],
  ])('wire format - %s', async (_what, prefix, olderProperties) => {
    const url = makeUrl();
    const { exchange, queue } = names(prefix);
    const bus = await connectBus({ url, exchange, queue });
    const settlements = collectSettlements(bus);
    const seen: Event[] = [];
    bus.handle('order.*', (event) => void seen.push(event));
    await bus.ready();
    const view = await brokerView(url);

    const event = foreignEvent();
    await view.publish(exchange, 'order.paid', Buffer.from(JSON.stringify(event)), {
      contentType: 'application/json',
      deliveryMode: 2,
      messageId: event.id,
      type: 'order.paid',
      timestamp: Math.floor(Date.parse(event.timestamp) / 1000),
      ...olderProperties,
    });
    await waitForCount(settlements, 1, 'settlements');

    expect(seen).toEqual([event]);
    expect(settlements[0]?.outcome.kind).toBe('ack');
    expect(settlements[0]?.event).toEqual(event);
    expect(bus.stats()).toMatchObject({ acked: 1, deadLettered: 0 });
  });

  it('wire format - a foreign message with only the body and routing key (no properties) is handled', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('foreign-bare');
    const bus = await connectBus({ url, exchange, queue });
    const settlements = collectSettlements(bus);
    bus.handle('order.*', () => undefined);
    await bus.ready();
    const view = await brokerView(url);

    const { correlationId: _c, causationId: _k, metadata: _m, ...minimal } = foreignEvent({ version: 1 });
    await view.publish(exchange, 'order.paid', Buffer.from(JSON.stringify(minimal)), {});
    await waitForCount(settlements, 1, 'settlements');
    expect(settlements[0]?.outcome.kind).toBe('ack');
    expect(settlements[0]?.event).toEqual(minimal);
  });

  it('wire format - a content type with a charset parameter is accepted', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('foreign-charset');
    const bus = await connectBus({ url, exchange, queue });
    const settlements = collectSettlements(bus);
    bus.handle('order.*', () => undefined);
    await bus.ready();
    const view = await brokerView(url);

    await view.publish(exchange, 'order.paid', Buffer.from(JSON.stringify(foreignEvent())), {
      contentType: 'application/json; charset=utf-8',
    });
    await waitForCount(settlements, 1, 'settlements');
    expect(settlements[0]?.outcome.kind).toBe('ack');
  });
});
