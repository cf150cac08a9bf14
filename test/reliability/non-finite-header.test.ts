/**
 * A header value RabbitMQ cannot hold (a double that is +Infinity, or NaN / -Infinity written through
 * amqplib's typed escape { '!': 'double', value: NaN }) passes messageRefusal (src/transport/message-limits.ts
 * refuses only a plain NaN and -Infinity, and any `!` object), amqplib encodes it, and RabbitMQ closes the
 * whole connection with 541 INTERNAL_ERROR. The publisher then sends it again on the next connection: every
 * other publish on the transport waits behind a connection that dies again and again.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, isRxPubsubError } from '../../src/index.js';
import { amqpUrl, uniqueName } from '../support/bus.js';
import { connectTransport, message } from '../support/transports.js';

describe('review - non-finite header values (amqp)', () => {
  it.each([
    ['+Infinity', Infinity],
    ["{ '!': 'double', value: NaN }", { '!': 'double', value: NaN }],
    ["{ '!': 'float', value: -Infinity }", { '!': 'float', value: -Infinity }],
  ])('message limits - a header %s is refused alone, and the next publish goes out', async (_what, value) => {
    const exchange = uniqueName('rv-inf-x');
    const transport = await connectTransport(amqpUrl(), exchange);
    const bad = await transport.publish(message(exchange, 'order.created', { properties: { headers: { h: value } }, timeoutMs: 3_000 })).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isRxPubsubError(bad, ErrorCode.PUBLISH_REFUSED)).toBe(true);
    await expect(transport.publish(message(exchange, 'order.created', { timeoutMs: 3_000 }))).resolves.toBeUndefined();
  });
});
