import { randomUUID } from 'node:crypto';

/** The routing key every benchmark event travels with. */
export const DOMAIN = 'bench';
export const ACTION = 'created';
export const ROUTING_KEY = `${DOMAIN}.${ACTION}`;

/** The payload of a benchmark event: a sequence number and a send time (performance.now(), same process). */
export type BenchData = {
  readonly seq: number;
  readonly sentAt: number;
  readonly sku: string;
  readonly qty: number;
};

/** The `data` of event `seq`: sized so that the whole event as JSON is about 200 bytes. */
export function benchData(seq: number, sentAt = 0): BenchData {
  return { seq, sentAt, sku: 'SKU-4711', qty: 3 };
}

/**
 * An event in rx-pubsub's wire format (the shape `createEvent` gives), built by
 * hand as an application using a plain client would: a fresh id and timestamp.
 */
export function benchEvent(seq: number, sentAt = 0) {
  return {
    id: randomUUID(),
    domain: DOMAIN,
    action: ACTION,
    data: benchData(seq, sentAt),
    version: 1,
    timestamp: new Date().toISOString(),
  };
}

export type BenchEvent = ReturnType<typeof benchEvent>;

/**
 * Which AMQP properties a raw client publishes with. `ours`: rx-pubsub's wire
 * format (every client but the naive one sends it); `naive`: what a user
 * writes by hand with amqplib (`persistent` and `contentType` only); `+name`:
 * naive plus that one property, to measure what each costs the broker.
 */
export const WIRE_VARIANTS = ['ours', 'naive', '+messageId', '+type', '+timestamp', '+contentEncoding', '+appId'] as const;
export type Wire = (typeof WIRE_VARIANTS)[number];

/** The properties of `event` for a wire variant. */
export function propertiesFor(wire: Wire, event: BenchEvent): Record<string, unknown> {
  if (wire === 'ours') return wireProperties(event);
  const naive = { persistent: true, contentType: 'application/json' };
  switch (wire) {
    case 'naive':
      return naive;
    case '+messageId':
      return { ...naive, messageId: event.id };
    case '+type':
      return { ...naive, type: ROUTING_KEY };
    case '+timestamp':
      return { ...naive, timestamp: Math.floor(Date.now() / 1000) };
    case '+contentEncoding':
      return { ...naive, contentEncoding: 'utf-8' };
    case '+appId':
      return { ...naive, appId: 'bench-service' };
  }
}

/** The AMQP properties rx-pubsub publishes with; plain clients send the same. */
export function wireProperties(event: BenchEvent) {
  return {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    persistent: true,
    messageId: event.id,
    type: ROUTING_KEY,
    timestamp: Math.floor(Date.now() / 1000),
  };
}
