import { describe, expect, it } from 'vitest';
import { HeldPublish } from '../../../src/transport/publish-buffer.js';
import { returnedPublish } from '../../../src/transport/amqp/returned-publish.js';
import type { OutboundMessage } from '../../../src/transport/transport.js';

const CHANNEL = 'channel-1';

/** A publish in flight on `channel`. */
function inFlight(messageId: string | undefined, overrides: Partial<OutboundMessage> = {}, channel = CHANNEL): HeldPublish<string> {
  const message: OutboundMessage = {
    exchange: 'events',
    routingKey: 'order.created',
    body: '{}',
    properties: { messageId },
    mandatory: true,
    timeoutMs: 1_000,
    ...overrides,
  };
  const held = new HeldPublish<string>(message, 0, () => undefined);
  held.sentOn = channel;
  return held;
}

const returned = (messageId: string | undefined, routingKey = 'order.created') => ({ exchange: 'events', routingKey, messageId });

describe('returnedPublish: the unconfirmed publish a basic.return is about', () => {
  it('is the one with the returned message id, not an earlier one with the same key', () => {
    const first = inFlight('id-1');
    const second = inFlight('id-2');
    expect(returnedPublish([first, second], CHANNEL, returned('id-2'))).toBe(second);
  });

  it('after the returned publish left the flight (timed out), its return is pinned on no later publish with the same key', () => {
    const later = inFlight('id-2');
    expect(returnedPublish([later], CHANNEL, returned('id-1'))).toBeUndefined();
  });

  it('without a message id: the first mandatory one in flight with that exchange and key, not returned yet', () => {
    const first = inFlight(undefined);
    const second = inFlight(undefined);
    first.returned = true;
    expect(returnedPublish([first, second], CHANNEL, returned(undefined))).toBe(second);
  });

  it('never one that is not mandatory, is on another channel, or has another key', () => {
    const candidates = [
      inFlight('id-1', { mandatory: false }),
      inFlight('id-1', {}, 'channel-0'),
      inFlight('id-1', { routingKey: 'order.paid' }),
      inFlight('id-1', { exchange: 'other' }),
    ];
    expect(returnedPublish(candidates, CHANNEL, returned('id-1'))).toBeUndefined();
  });
});
