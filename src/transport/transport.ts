import type { Observable } from 'rxjs';
import type { RxPubsubError } from '../errors.js';
import type { Event } from '../event/event.js';

/** AMQP basic properties, the subset rx-pubsub reads and writes. */
export interface MessageProperties {
  /** The body's MIME type: `application/json` for an event. */
  readonly contentType?: string | undefined;
  /** The body's encoding: absent (or UTF-8) on an event; a delivery in another (`gzip`) is a bad message. */
  readonly contentEncoding?: string | undefined;
  /** Application headers: `rx-pubsub-*` on retry and dead-letter copies, `x-death` set by the broker, trace context. */
  readonly headers?: Readonly<Record<string, unknown>> | undefined;
  /** 2 = persistent. */
  readonly deliveryMode?: number | undefined;
  /** The event's `id`. */
  readonly messageId?: string | undefined;
  /** The event's `correlationId`. */
  readonly correlationId?: string | undefined;
  /** The event's routing key, `domain.action`. */
  readonly type?: string | undefined;
  /** Seconds since the epoch, as AMQP defines it. */
  readonly timestamp?: number | undefined;
  /** The sending bus's `connectionName`. */
  readonly appId?: string | undefined;
  /** Per-message TTL in milliseconds, as a decimal string (AMQP's form); a copy to `Q.dlq` or a delay queue drops it. */
  readonly expiration?: string | undefined;
  /** 0-255; only a queue declared with `x-max-priority` orders by it. */
  readonly priority?: number | undefined;
  /**
   * The AMQP `user-id`: RabbitMQ refuses a publish whose user-id is not the
   * publishing connection's login user, so it proves who sent a message. The
   * bus sets it on its retry copies, and believes its retry headers only on
   * messages carrying its own user.
   */
  readonly userId?: string | undefined;
}

/** The bytes of a message body. */
export function bodyBytes(body: Buffer | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** How a publish ended: `undefined` once the broker confirmed it, else why not (see {@link Transport.publishWith}). */
export type PublishCallback = (error: unknown) => void;

/** A message to publish, confirmed by the broker before the Promise resolves. */
export interface OutboundMessage {
  /** `''` is the default exchange, which routes by queue name. */
  readonly exchange: string;
  /** The topic the exchange routes by: an event's `domain.action`, or a queue name on the default exchange. */
  readonly routingKey: string;
  /**
   * The payload; a string is sent as its UTF-8 bytes. The bus gives a
   * transport what its `encode` returns (AMQP: the JSON text), else the JSON text.
   */
  readonly body: Buffer | string;
  /** Sent as the message's AMQP properties. */
  readonly properties: MessageProperties;
  /** Reject when no queue receives the message. */
  readonly mandatory?: boolean;
  /** Reject with `PUBLISH_TIMEOUT` when no confirm came within this time. */
  readonly timeoutMs: number;
}

/**
 * One message handed to a consumer. It remembers the channel it came from:
 * settling it after that channel died is dropped (the broker redelivers it),
 * never sent on a new channel; settling twice is harmless.
 */
export interface Delivery {
  /** The exchange it was published to (`''` for the default exchange: a retry copy). */
  readonly exchange: string;
  /** The routing key it was published with. */
  readonly routingKey: string;
  /** The payload's bytes, as received. */
  readonly body: Buffer;
  /** Its AMQP properties, headers included. */
  readonly properties: MessageProperties;
  /** The broker delivered it before, and it was not acked (a consumer or its connection died holding it, or it was requeued). */
  readonly redelivered: boolean;
  /** Settled already, or its channel (connection) is gone: the broker redelivers it, and settling it is dropped. */
  readonly stale: boolean;
  /** Acknowledges; returns false when the ack was dropped (already settled, or stale). */
  ack(): boolean;
  /** Rejects; without requeue the broker dead-letters it through the queue's DLX. */
  nack(requeue: boolean): boolean;
}

/** A service queue and its dead-letter queue. */
export interface QueueSpec {
  /** The service queue's name. */
  readonly name: string;
  /** Its dead-letter queue's name: `<name>.dlq`. */
  readonly deadLetterQueue: string;
  /**
   * `quorum` queues are replicated and count redeliveries (`x-delivery-count`);
   * the dead-letter and delay queues are declared of the same type.
   */
  readonly type: 'classic' | 'quorum';
  /** Survives a broker restart. */
  readonly durable: boolean;
  /** Only the declaring connection may use it; deleted when that closes. */
  readonly exclusive: boolean;
  /** Deleted when its last consumer goes. */
  readonly autoDelete: boolean;
  /** Extra `x-` arguments of the service queue (`x-message-ttl`, `x-max-length`, ...). */
  readonly arguments: Readonly<Record<string, unknown>>;
  /** `x-single-active-consumer`: the broker delivers to one consumer of the queue at a time. @default false */
  readonly singleActiveConsumer?: boolean | undefined;
}

/** Where a consumer reads from, and how many unacked deliveries it may hold. */
export interface ConsumerSpec {
  /** The topic exchange the queue's bindings are on. */
  readonly exchange: string;
  /** The queue to declare and consume. */
  readonly queue: QueueSpec;
  /** Unacked deliveries the consumer may hold (AMQP `basic.qos`). */
  readonly prefetch: number;
}

/**
 * Connection lifecycle, as data. `degraded`: the connection is up but a
 * consumer cannot consume (its queue was re-declared with other arguments, say):
 * `reason` says why; back to `connected` once it consumes again.
 */
export type ConnectionState =
  | {
      /** Opening the first connection. */
      readonly status: 'connecting';
    }
  | {
      /** Connected, every consumer consuming. */
      readonly status: 'connected';
      /** The URL of the node it is connected to, credentials redacted. */
      readonly url: string;
    }
  | {
      /** Connected, but a consumer cannot consume. */
      readonly status: 'degraded';
      /** Why, e.g. `TOPOLOGY_FAILED: ...`. */
      readonly reason: string;
    }
  | {
      /** The connection was lost; reconnecting, publishes buffered. */
      readonly status: 'disconnected';
      /** The error the connection was lost with, credentials redacted. */
      readonly reason: string;
    }
  | {
      /** Connected, but the broker blocks publishing (a memory or disk alarm); consuming goes on. */
      readonly status: 'blocked';
      /** The broker's reason, e.g. `low on memory`. */
      readonly reason: string;
    }
  | {
      /** Closed for good, by `close()`. */
      readonly status: 'closed';
    };

/**
 * A consumer's lifecycle, as data: `starting` until its queue is first declared,
 * and again while the broker consumer is being re-established (the broker
 * cancelled it or closed its channel, the connection dropped);
 * `consuming` while the queue, its bindings and (when subscribed) the broker
 * consumer are in place; `failing` while setting them up again fails (the
 * consumer keeps retrying, less and less often, up to every 30 s), since
 * `since` (epoch ms); `stopped` once closed.
 */
export type ConsumerStatus =
  | {
      /** Declaring its queue, or re-establishing the broker consumer. */
      readonly status: 'starting';
    }
  | {
      /** Queue, bindings and broker consumer in place. */
      readonly status: 'consuming';
    }
  | {
      /** Setting them up fails; retried. */
      readonly status: 'failing';
      /** The last failure, e.g. a `ConnectionError` `TOPOLOGY_FAILED`. */
      readonly error: RxPubsubError;
      /** When it started failing, epoch milliseconds. */
      readonly since: number;
    }
  | {
      /** Closed. */
      readonly status: 'stopped';
    };

/**
 * A consumer of one queue. `deliveries$` is lazy: subscribing starts consuming,
 * unsubscribing cancels the consumer. Bindings are kept and re-applied after
 * every reconnect.
 */
export interface QueueConsumer {
  /** The queue's deliveries: subscribing consumes, unsubscribing cancels the consumer. */
  readonly deliveries$: Observable<Delivery>;
  /** Its status, the current one replayed on subscribe, each change once. Completes when the transport closes. */
  readonly status$: Observable<ConsumerStatus>;
  /** Binds the queue to the exchange with `key`; resolves once the broker applied it. */
  bind(key: string): Promise<void>;
  /** Removes the binding; resolves once the broker applied it. */
  unbind(key: string): Promise<void>;
  /** Resolves once the queue is declared, every binding applied and, while subscribed, the consumer active. */
  ready(): Promise<void>;
  /**
   * Declares (once; again after every reconnect) the delay queue
   * `<queue>.retry.<delayMs>`: durable, of the service queue's type,
   * `x-message-ttl` = delayMs, dead-lettering back to the service queue
   * through the default exchange (at-least-once on quorum queues). Resolves with its name.
   */
  retryQueue(delayMs: number): Promise<string>;
  /**
   * Declares the queue, its dead-letter queue, the delay queues and the
   * bindings again, now: for when something deleted them under a running bus.
   */
  redeclare(): Promise<void>;
}

/** What a transport's publisher holds, and whether the broker blocks it: see {@link Transport.publisherStatus}. */
export interface PublisherStatus {
  /** Publishes held in the process, waiting for the connection or for the broker's alarm to end. */
  readonly buffered: number;
  /** Publishes sent, their confirm not come yet. */
  readonly unconfirmed: number;
  /** The broker blocks publishing (a memory or disk alarm): publishes wait, consuming goes on. */
  readonly blocked: boolean;
}

/**
 * The event log kept beside the exchange: a RabbitMQ stream (`x-queue-type:
 * stream`) bound to the exchange with `#`, or memory's in-process log. It
 * holds every message published to the exchange, in order, each at an offset
 * (0, 1, 2, ... from its creation), until its retention drops it.
 */
export interface HistorySpec {
  /** The exchange whose messages it keeps. */
  readonly exchange: string;
  /** The stream's name. */
  readonly stream: string;
  /** `x-max-age`: how long a message is kept, RabbitMQ's format (`'7D'`, `'12h'`; units Y M D h m s). */
  readonly maxAge: string;
  /** `x-max-length-bytes`: the log's size limit, if any. */
  readonly maxLengthBytes: number | undefined;
  /** `x-stream-max-segment-size-bytes`: the unit retention deletes, if not RabbitMQ's default (500 MB). */
  readonly maxSegmentSizeBytes: number | undefined;
}

/** Where a read of the log starts: the oldest message kept, the newest, the first written at or after a time, or an offset. */
export type HistoryFrom = 'first' | 'last' | Date | number;

/** How to read the log. */
export interface HistoryReadOptions {
  /** Where the read starts (see {@link HistoryFrom}). */
  readonly from: HistoryFrom;
  /** Records handed out and not yet acked, at most (AMQP `basic.qos`). */
  readonly prefetch: number;
  /**
   * Go on with messages written later. Without it, the read completes once it
   * handed out the last message the log held when the read started.
   */
  readonly follow: boolean;
}

/** One message of the log. */
export interface HistoryRecord {
  /** Its position in the log: 0 for the first message the log ever held. */
  readonly offset: number;
  /** The exchange it was published to (`''`: straight to the stream). */
  readonly exchange: string;
  /** The routing key it was published with. */
  readonly routingKey: string;
  /** The payload's bytes. */
  readonly body: Buffer;
  /** Its AMQP properties, as published. */
  readonly properties: MessageProperties;
  /** Done with it: frees its prefetch slot, so the next record comes. Idempotent. */
  ack(): void;
}

/**
 * A transport's event log (see {@link HistorySpec}).
 *
 * | while reading                                        | `read(...)`                                   |
 * |------------------------------------------------------|-----------------------------------------------|
 * | without `follow`, the log's last record at the start was handed out | completes                      |
 * | the connection drops                                 | resumes after the last record handed out: no gap, no duplicate |
 * | the stream is deleted, or cannot be read             | errors: `ConnectionError` `TOPOLOGY_FAILED`   |
 * | the transport closes                                 | errors: `ConnectionError` `CLOSED`            |
 */
export interface HistoryLog {
  /**
   * Declares the stream (durable, its retention) and binds it to the exchange with `#`.
   * @throws {ConnectionError} `TOPOLOGY_FAILED` when a queue of that name exists with other arguments.
   */
  declare(): Promise<void>;
  /** Cold: each subscription reads with a consumer of its own, bounded by `prefetch`; unsubscribing stops it. */
  read(options: HistoryReadOptions): Observable<HistoryRecord>;
}

/**
 * What a bus needs from a broker. AMQP (RabbitMQ) and memory implement it;
 * the bus and the delivery pipeline never see which one they run on.
 */
export interface Transport {
  /** Its connection's lifecycle: the current state replayed on subscribe, then each change. Completes after `closed`. */
  readonly state$: Observable<ConnectionState>;
  /**
   * The user this transport's connections log in as, when it is one user
   * whatever the node (AMQP, from the URLs); undefined where there are no
   * users (memory) or it cannot be known. The bus stamps its retry copies with
   * it (AMQP `user-id`, which RabbitMQ checks) and believes retry headers only
   * on messages stamped so.
   */
  readonly loginUser?: string | undefined;
  /**
   * The body of `event` as this transport sends it: the bus publishes what it
   * returns. Optional: without it, the body is the event's JSON text
   * (`eventJson(event)`), which any transport can send, so a custom transport
   * need not care. The memory transport returns `encodeEventInProcess(event)`,
   * a Buffer that remembers its event: the broker hands that very Buffer to
   * consumers and decoding it is a property read (serialized once). AMQP
   * returns the JSON text: kept until its confirm (to send it again after a
   * connection loss), a string costs the garbage collector less than a Buffer.
   *
   * @throws {ConfigError} `INVALID_DATA` when the event is too large to encode.
   */
  encode?(event: Event): Buffer | string;
  /**
   * The publish buffer now: publishes waiting for the connection (`buffered`), sent and not confirmed yet
   * (`unconfirmed`), and whether the broker blocks publishers. Read by `bus.health()` and the telemetry
   * gauges (so cheap to call, and never per publish). Optional: without it, the bus reports zeros and not blocked.
   */
  publisherStatus?(): PublisherStatus;
  /** Resolves once connected and `exchange` is declared (a durable topic exchange). */
  connect(exchange: string): Promise<void>;
  /** Publishes and resolves when the broker confirmed it. */
  publish(message: OutboundMessage): Promise<void>;
  /**
   * `publish` with a callback instead of a Promise: what the bus calls per event, since a Promise and its
   * reactions cost more per message than the rest of the client. `done` is called once, never before `publishWith`
   * returned: with `undefined` once confirmed, else with what `publish` would reject with. Optional: without
   * it, the bus calls `publish`.
   */
  publishWith?(message: OutboundMessage, done: PublishCallback): void;
  /** Declares the queue and its dead-letter queue, and returns its consumer. */
  consumer(spec: ConsumerSpec): QueueConsumer;
  /** The event log of `spec`. Optional: a transport without it refuses the bus's `history` option. */
  history?(spec: HistorySpec): HistoryLog;
  /**
   * Waits for outstanding confirms, then closes; later calls reject with `CLOSED`.
   * With `timeoutMs`, the close ends by then whatever the broker does: past it,
   * publishes still waiting or unconfirmed reject with `ConnectionError`
   * `CLOSED`, unsettled deliveries are left to the broker (it redelivers them),
   * and connections are destroyed instead of closed gracefully. Without it, each
   * publish is still bounded by its own `timeoutMs`, and each wait for the
   * broker's answer to a close by the connect timeout.
   */
  close(timeoutMs?: number): Promise<void>;
}
