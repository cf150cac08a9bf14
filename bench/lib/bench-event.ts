import { randomUUID } from 'node:crypto';

/** The routing key every benchmark event travels with. */
export const DOMAIN = 'bench';
export const ACTION = 'created';
export const ROUTING_KEY = `${DOMAIN}.${ACTION}`;

/** One order line: what pads an event to a larger size (many small objects, as real large events hold, not one long string). */
export type BenchItem = { readonly sku: string; readonly qty: number; readonly price: number; readonly note: string };

/** The payload of a benchmark event: a sequence number and a send time (performance.now(), same process). */
export type BenchData = {
  readonly seq: number;
  readonly sentAt: number;
  readonly sku: string;
  readonly qty: number;
  /** Present when the event is padded to a size (`eventBytes`). */
  readonly items?: readonly BenchItem[];
};

/**
 * The `data` of event `seq`: about 200 bytes as a whole event in JSON, or
 * padded with order lines to about `eventBytes` (the same lines for every
 * event of a size: building them is not what is measured).
 */
export function benchData(seq: number, sentAt = 0, eventBytes = 0): BenchData {
  const items = itemsFor(eventBytes);
  return items.length === 0 ? { seq, sentAt, sku: 'SKU-4711', qty: 3 } : { seq, sentAt, sku: 'SKU-4711', qty: 3, items };
}

/**
 * An event in rx-pubsub's wire format (the shape `createEvent` gives), built by
 * hand as an application using a plain client would: a fresh id and timestamp.
 */
export function benchEvent(seq: number, sentAt = 0, eventBytes = 0) {
  return {
    id: randomUUID(),
    domain: DOMAIN,
    action: ACTION,
    data: benchData(seq, sentAt, eventBytes),
    version: 1,
    timestamp: new Date().toISOString(),
  };
}

// An order line's JSON with its comma, averaged over the 100 prices they cycle through.
const ITEM_BYTES = JSON.stringify(Array.from({ length: 100 }, (_, i) => item(i))).length / 100;
const padded = new Map<number, readonly BenchItem[]>();

function item(i: number): BenchItem {
  return { sku: `SKU-${String(i).padStart(6, '0')}`, qty: 1 + (i % 9), price: 9.95 + (i % 100), note: 'gift wrap' };
}

/** The order lines that bring an event's JSON to about `eventBytes` (none below ~250 bytes). */
function itemsFor(eventBytes: number): readonly BenchItem[] {
  let items = padded.get(eventBytes);
  if (items === undefined) {
    const plain = JSON.stringify({ ...benchEventShape(), data: { seq: 0, sentAt: 0, sku: 'SKU-4711', qty: 3, items: [] } }).length;
    const count = Math.max(0, Math.floor((eventBytes - plain) / ITEM_BYTES));
    items = Object.freeze(Array.from({ length: count }, (_, i) => Object.freeze(item(i))));
    padded.set(eventBytes, items);
  }
  return items;
}

function benchEventShape() {
  return { id: '00000000-0000-4000-8000-000000000000', domain: DOMAIN, action: ACTION, version: 1, timestamp: new Date(0).toISOString() };
}

/** The size of event `seq`'s JSON body at a nominal size, in bytes: what the tables show. */
export function benchEventBytes(eventBytes: number): number {
  return Buffer.byteLength(JSON.stringify(benchEvent(0, 0, eventBytes)));
}

export type BenchEvent = ReturnType<typeof benchEvent>;

/**
 * Which AMQP properties a raw client publishes with. `ours`: rx-pubsub's wire
 * format (every client but the naive one sends it); `naive`: what a user
 * writes by hand with amqplib (`persistent` and `contentType` only); `+name`:
 * naive plus that one property, to measure what each costs the broker;
 * `former`: ours plus `contentEncoding` and `appId`, the format before they
 * became opt-in. Each variant is an object literal: built with a spread,
 * amqplib's option parsing costs the client several µs more per message.
 */
export const WIRE_VARIANTS = ['ours', 'naive', '+messageId', '+type', '+timestamp', '+contentEncoding', '+appId', 'former'] as const;
export type Wire = (typeof WIRE_VARIANTS)[number];

const APP_ID = 'bench-service';

/** The properties of `event` for a wire variant. */
export function propertiesFor(wire: Wire, event: BenchEvent): Record<string, unknown> {
  const contentType = 'application/json';
  switch (wire) {
    case 'ours':
      return wireProperties(event);
    case 'naive':
      return { persistent: true, contentType };
    case '+messageId':
      return { persistent: true, contentType, messageId: event.id };
    case '+type':
      return { persistent: true, contentType, type: ROUTING_KEY };
    case '+timestamp':
      return { persistent: true, contentType, timestamp: Math.floor(Date.now() / 1000) };
    case '+contentEncoding':
      return { persistent: true, contentType, contentEncoding: 'utf-8' };
    case '+appId':
      return { persistent: true, contentType, appId: APP_ID };
    case 'former':
      return {
        contentType,
        contentEncoding: 'utf-8',
        persistent: true,
        messageId: event.id,
        type: ROUTING_KEY,
        timestamp: Math.floor(Date.now() / 1000),
        appId: APP_ID,
      };
  }
}

/** The AMQP properties rx-pubsub publishes with by default; plain clients send the same. */
export function wireProperties(event: BenchEvent) {
  return {
    contentType: 'application/json',
    persistent: true,
    messageId: event.id,
    type: ROUTING_KEY,
    timestamp: Math.floor(Date.now() / 1000),
  };
}
