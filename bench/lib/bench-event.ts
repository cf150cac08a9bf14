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
