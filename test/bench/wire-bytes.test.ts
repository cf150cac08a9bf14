import { describe, expect, it } from 'vitest';
import { padProperties, publishBytes } from '../../bench/lib/wire-bytes.js';
import { createEvent } from '../../src/index.js';
import { publishOptions } from '../../src/transport/amqp/amqp-publisher.js';
import { wirePropertiesOf } from '../../src/transport/wire-properties.js';
import type { OutboundMessage } from '../../src/transport/transport.js';

// The byte counts behind `npm --prefix bench run wire-size` and the wire-format page's table ("68 + the key's length").

const BODY = Buffer.alloc(200, 'x');
const NAIVE = { persistent: true, contentType: 'application/json' };

/** What rx-pubsub's AMQP publisher hands amqplib for an event of `domain.action`, by default. */
function busOptions(domain: string, action: string) {
  const event = createEvent({ domain, action, data: {} });
  const message: OutboundMessage = { exchange: 'events', routingKey: `${domain}.${action}`, body: '{}', properties: wirePropertiesOf(event), timeoutMs: 1 };
  return publishOptions(message);
}

describe('wire bytes', () => {
  it('wire bytes - the naive publish takes a 22-byte property block (amqplib always adds an empty headers table)', () => {
    expect(publishBytes('events', 'bench.created', BODY, NAIVE)).toMatchObject({ propertyBlock: 22, flagsAndProperties: 24, headerPayload: 36 });
  });

  it("wire bytes - rx-pubsub's default properties take 68 bytes + the routing key's length", () => {
    for (const [domain, action] of [['bench', 'created'], ['user', 'new'], ['inventory', 'reserved']] as const) {
      const key = `${domain}.${action}`;
      expect(publishBytes('events', key, BODY, busOptions(domain, action)).propertyBlock).toBe(68 + key.length);
    }
  });

  it('wire bytes - padding reaches exactly the property block asked for, on both sides of the step', () => {
    for (const size of [40, 62, 63, 90]) {
      expect(publishBytes('events', 'bench.created', BODY, padProperties('events', 'bench.created', BODY, NAIVE, size)).propertyBlock).toBe(size);
    }
    expect(() => padProperties('events', 'bench.created', BODY, NAIVE, 10)).toThrow(/cannot be reached/);
  });

  it('wire bytes - the routing key and the exchange travel in the method frame, not the property block', () => {
    const short = publishBytes('events', 'a.b', BODY, NAIVE);
    const long = publishBytes('e'.repeat(100), 'a.'.padEnd(65, 'b'), BODY, NAIVE);
    expect(long.propertyBlock).toBe(short.propertyBlock);
    expect(long.methodPayload - short.methodPayload).toBe(100 - 6 + 65 - 3);
  });
});
