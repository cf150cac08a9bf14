import type { MessageProperties } from '../transport.js';

/** Why a queue dead-lettered a message, in RabbitMQ's words. */
export type DeathReason = 'rejected' | 'expired' | 'maxlen' | 'delivery_limit';

/** One dead-lettering, as RabbitMQ records it. */
export interface Death {
  readonly queue: string;
  readonly reason: DeathReason;
  /** The exchange and routing key the message was published with. */
  readonly exchange: string;
  readonly routingKey: string;
  /** Seconds since the epoch (an AMQP timestamp). */
  readonly time: number;
}

interface DeathEntry {
  count: number;
  reason: DeathReason;
  queue: string;
  time: number;
  exchange: string;
  'routing-keys': string[];
  'original-expiration'?: string;
}

/**
 * The message's properties with this death recorded the way RabbitMQ (3.x)
 * does: `x-death` is a list, newest first, with one entry per queue and
 * reason whose `count` grows and which moves to the front when it happens
 * again; `x-first-death-*` name the first one and are never changed. A
 * per-message TTL (`expiration`) moves into the entry as `original-expiration`,
 * so that the message does not expire again where it is routed.
 */
export function withDeath({ expiration, ...properties }: MessageProperties, death: Death): MessageProperties {
  const headers = { ...properties.headers };
  const previous = Array.isArray(headers['x-death']) ? (headers['x-death'] as DeathEntry[]) : [];
  const same = previous.find((entry) => entry.queue === death.queue && entry.reason === death.reason);
  const entry: DeathEntry = {
    count: (same?.count ?? 0) + 1,
    reason: death.reason,
    queue: death.queue,
    time: death.time,
    exchange: death.exchange,
    'routing-keys': [death.routingKey],
    ...(expiration === undefined ? {} : { 'original-expiration': expiration }),
  };
  headers['x-death'] = [entry, ...previous.filter((other) => other !== same)];
  if (headers['x-first-death-queue'] === undefined) {
    headers['x-first-death-queue'] = death.queue;
    headers['x-first-death-reason'] = death.reason;
    headers['x-first-death-exchange'] = death.exchange;
  }
  return { ...properties, headers };
}
