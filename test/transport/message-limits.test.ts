/**
 * messageRefusal counts UTF-8 bytes only when a string could be over its limit (a UTF-16 code unit is at
 * most 3 bytes): the boundaries below must come out as they would with every string counted.
 */
import { describe, expect, it } from 'vitest';
import { messageRefusal } from '../../src/transport/message-limits.js';
import type { OutboundMessage } from '../../src/transport/transport.js';

function message(properties: OutboundMessage['properties'], body: string | Buffer = '{}'): OutboundMessage {
  return { exchange: 'events', routingKey: 'order.created', body, properties, timeoutMs: 1_000 };
}

describe('message limits - short strings and bodies at their byte limits', () => {
  const cases: [string, string, boolean][] = [
    ['85 three-byte characters (255 bytes)', '€'.repeat(85), true],
    ['86 three-byte characters (258 bytes)', '€'.repeat(86), false],
    ['127 two-byte characters (254 bytes)', 'é'.repeat(127), true],
    ['128 two-byte characters (256 bytes)', 'é'.repeat(128), false],
    ['63 four-byte characters, surrogate pairs (252 bytes)', '🙂'.repeat(63), true],
    ['64 four-byte characters (256 bytes)', '🙂'.repeat(64), false],
    ['255 ASCII characters', 'a'.repeat(255), true],
    ['256 ASCII characters', 'a'.repeat(256), false],
  ];
  for (const [what, value, accepted] of cases) {
    it(`message limits - a messageId of ${what} is ${accepted ? 'accepted' : 'refused, with its size in bytes'}`, () => {
      const refusal = messageRefusal(message({ messageId: value }), 1_000_000);
      if (accepted) expect(refusal).toBeUndefined();
      else expect(refusal).toBe(`messageId is ${Buffer.byteLength(value)} bytes, over AMQP's short-string limit of 255`);
    });
  }

  it('message limits - a body is measured in UTF-8 bytes against maxMessageBytes, as a string or a Buffer', () => {
    expect(messageRefusal(message({}, '€'.repeat(10)), 30)).toBeUndefined();
    expect(messageRefusal(message({}, '€'.repeat(11)), 30)).toMatch(/^the body is 33 bytes, over the limit of 30 /);
    expect(messageRefusal(message({}, 'a'.repeat(30)), 30)).toBeUndefined();
    expect(messageRefusal(message({}, Buffer.alloc(31)), 30)).toMatch(/^the body is 31 bytes/);
  });
});
