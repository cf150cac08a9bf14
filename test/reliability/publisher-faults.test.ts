import { describe, expect, it } from 'vitest';
import { createEvent, ErrorCode, PublishError } from '../../src/index.js';
import type { MessageProperties, OutboundMessage } from '../../src/transport/transport.js';
import { amqpUrl, brokerView, connectBus, expectRxError, names, TRANSPORTS, waitForDepth } from '../support/bus.js';
import { connectTransport, message } from '../support/transports.js';

const long = 'x'.repeat(256);
const manyHeaders = Object.fromEntries(Array.from({ length: 2_500 }, (_, i) => [`h${i}`, 'v'.repeat(30)]));

/** Messages amqplib cannot encode, and the words the refusal must contain. */
const UNSENDABLE: [what: string, change: (m: OutboundMessage) => OutboundMessage, says: RegExp][] = [
  ['a negative timestamp', (m) => withProperties(m, { timestamp: -5 }), /timestamp/],
  ['a fractional timestamp', (m) => withProperties(m, { timestamp: 1.5 }), /timestamp/],
  ['a messageId over 255 bytes', (m) => withProperties(m, { messageId: long }), /messageId.*255/],
  ['a correlationId of 128 two-byte characters', (m) => withProperties(m, { correlationId: 'é'.repeat(128) }), /correlationId.*256 bytes/],
  ['an appId over 255 bytes', (m) => withProperties(m, { appId: long }), /appId.*255/],
  ['a routing key over 255 bytes', (m) => ({ ...m, routingKey: `order.${long}` }), /routingKey.*255/],
  ['70 KB of headers', (m) => withProperties(m, { headers: { big: 'x'.repeat(70_000) } }), /headers.*65536/],
  ['2,500 small headers', (m) => withProperties(m, { headers: manyHeaders }), /headers.*65536/],
  ['a BigInt header', (m) => withProperties(m, { headers: { n: 10n } }), /headers\.n is a bigint/],
  ['a function header', (m) => withProperties(m, { headers: { f: () => 1 } }), /headers\.f is a function/],
  ['a symbol inside a nested header', (m) => withProperties(m, { headers: { a: { b: [Symbol('s')] } } }), /headers\.a\.b\[0\] is a symbol/],
  ['a NaN header', (m) => withProperties(m, { headers: { n: Number.NaN } }), /headers\.n is NaN/],
  ['a header key over 255 bytes', (m) => withProperties(m, { headers: { [long]: 1 } }), /key.*255/],
];

function withProperties(m: OutboundMessage, properties: Partial<Record<keyof MessageProperties, unknown>>): OutboundMessage {
  return { ...m, properties: { ...m.properties, ...properties } as MessageProperties };
}

describe.each(TRANSPORTS)('publisher faults (%s)', (_kind, makeUrl) => {
  it.each(UNSENDABLE)('publisher - %s rejects alone with PUBLISH_REFUSED; the publishes around it are confirmed', async (_what, change, says) => {
    const url = makeUrl();
    const { exchange, queue } = names('unsendable');
    const transport = await connectTransport(url, exchange);
    const view = await brokerView(url);
    await view.declareBoundQueue(exchange, queue, 'order.#');

    const before = Array.from({ length: 5 }, () => transport.publish(message(exchange, 'order.created')));
    const bad = transport.publish(change(message(exchange, 'order.created')));
    const after = Array.from({ length: 5 }, () => transport.publish(message(exchange, 'order.created')));

    const error = await expectRxError(bad, PublishError, ErrorCode.PUBLISH_REFUSED);
    expect(error.retriable).toBe(false);
    expect(error.message).toMatch(says);
    await Promise.all([...before, ...after]);
    await waitForDepth(view, queue, 10);
  });

  it('publisher - a publish to a missing exchange among 40 concurrent ones: only it rejects PUBLISH_REFUSED, the 40 are confirmed', async () => {
    const url = makeUrl();
    const { exchange } = names('blame');
    const transport = await connectTransport(url, exchange);
    const missing = names('blame-missing').exchange;
    const publishes = Array.from({ length: 41 }, (_, i) => transport.publish(message(i === 7 ? missing : exchange, 'order.created')));
    const outcomes = await Promise.allSettled(publishes);
    expect(outcomes.flatMap((o, i) => (o.status === 'rejected' ? [i] : []))).toEqual([7]);
    const error = await expectRxError(publishes[7] as Promise<void>, PublishError, ErrorCode.PUBLISH_REFUSED);
    expect(error.message).toContain(missing);
  });

  it('publisher - a body over maxMessageBytes is refused before sending, naming its size and the limit', async () => {
    const url = makeUrl();
    const { exchange } = names('too-big');
    const transport = await connectTransport(url, exchange, { maxMessageBytes: 1_000 });
    const error = await expectRxError(transport.publish(message(exchange, 'order.created', { body: 'x'.repeat(1_001) })), PublishError, ErrorCode.PUBLISH_REFUSED);
    expect(error.message).toContain('1001 bytes');
    expect(error.message).toContain('1000');
    expect(error.retriable).toBe(false);
    await transport.publish(message(exchange, 'order.created', { body: 'x'.repeat(1_000) }));
  });

  it('publisher - the bus option maxMessageBytes refuses a too-large event alone; the events around it are confirmed', async () => {
    const { exchange } = names('bus-too-big');
    const bus = await connectBus({ url: makeUrl(), exchange, maxMessageBytes: 2_000 });
    const event = (size: number) => createEvent({ domain: 'order', action: 'created', data: { text: 'x'.repeat(size) } });
    const small = Array.from({ length: 10 }, () => bus.publish(event(100)));
    const error = await expectRxError(bus.publish(event(5_000)), PublishError, ErrorCode.PUBLISH_REFUSED);
    expect(error.message).toMatch(/over maxMessageBytes|2000/);
    await Promise.all(small);
    expect(bus.stats().published).toBe(10);
  });
});

describe('publisher faults (amqp)', () => {
  it('publisher - a message amqplib cannot encode that the checks let through (a typed header escape) fails alone; later publishes go out', async () => {
    const url = amqpUrl();
    const { exchange } = names('escape');
    const transport = await connectTransport(url, exchange);
    const bad = transport.publish(withProperties(message(exchange, 'order.created'), { headers: { at: { '!': 'timestamp', value: -1 } } }));
    const after = Array.from({ length: 5 }, () => transport.publish(message(exchange, 'order.created')));
    const error = await expectRxError(bad, PublishError, ErrorCode.PUBLISH_REFUSED);
    expect(error.retriable).toBe(false);
    expect(error.message).toMatch(/out of range/);
    await Promise.all(after);
  });
});
