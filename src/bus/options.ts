import type { SchedulerLike } from 'rxjs';
import type { Logger } from '../logger.js';
import type { Transport } from '../transport/transport.js';
import type { RetryPolicy } from '../core/retry-policy.js';
import type { AnyEventDefinition } from '../event/define-event.js';
import type { TelemetryOptions } from '../telemetry/telemetry-options.js';
import type { HistoryOptions } from './history-options.js';

export { resolveOptions, type ResolvedOptions } from './resolve-options.js';
export type { HistoryOptions } from './history-options.js';

/**
 * Options of the service queue: durable, not exclusive, not auto-delete by
 * default; its type is quorum (RabbitMQ's recommendation for data safety)
 * unless the flags make it a temporary queue.
 */
export interface QueueOptions {
  /** Survives a broker restart. @default true */
  readonly durable?: boolean;
  /** Only this connection may use it; deleted when it closes. @default false */
  readonly exclusive?: boolean;
  /** Deleted when its last consumer goes. @default false */
  readonly autoDelete?: boolean;
  /** Extra `x-` arguments (`x-message-ttl`, `x-max-length`, ...). @default {} */
  readonly arguments?: Readonly<Record<string, unknown>>;
  /**
   * `quorum`: replicated across a cluster, and counts redeliveries so poison
   * messages are caught even across crashes (must be durable, not exclusive,
   * not auto-delete). `Q.dlq` and the delay queues `Q.retry.<ms>` are of the
   * same type. A queue's type cannot change: an existing classic queue of that
   * name fails `connect` with `TOPOLOGY_FAILED` until it is deleted, or
   * `type: 'classic'` is set.
   * @default 'quorum'; 'classic' for a queue that is exclusive, auto-delete or not durable (as RabbitMQ's own default queue type does)
   */
  readonly type?: 'classic' | 'quorum';
  /**
   * `x-single-active-consumer`: of all the buses consuming this queue, the
   * broker delivers to one at a time; the others stand by, and the next
   * takes over when it goes (closes, crashes, loses its connection). For
   * services that need the queue's order across instances (with `prefetch: 1`
   * for strict order). On `close()` the active bus keeps its place until its
   * handlers finished, so the next one starts after them. Not with `exclusive`
   * (nobody else could take over).
   * @default false
   */
  readonly singleActiveConsumer?: boolean;
}

import type { TlsOptions } from '../transport/tls-options.js';

export type { TlsOptions };

/**
 * Where the bus's broker is: a `url`, or a `transport` of your own. One of the
 * two is required: nothing silently falls back to an in-memory broker.
 */
export type BrokerOption =
  | {
      /**
       * `amqp://user:pass@host:5672/vhost`, `amqps://...`, or `memory://NAME` for
       * the in-process broker. Several AMQP URLs (a cluster) are tried in turn.
       * `amqps://host?auth_mechanism=external` logs in with the client
       * certificate in `tls` (EXTERNAL) instead of a password.
       * Required (or `transport`).
       */
      readonly url: string | readonly string[];
      /** Not with `url`: give one or the other. */
      readonly transport?: undefined;
    }
  | {
      /** Not with `transport`: give one or the other. */
      readonly url?: undefined;
      /**
       * A transport of your own (a `MemoryTransport` you inspect, a wrapper that
       * records or injects faults): the bus uses it instead of building one from
       * `url`, and closes it on `close()`.
       */
      readonly transport: Transport;
    };

/** Options of {@link EventBus.connect}: `url` (or `transport`) and any of the settings. */
export type EventBusOptions<TEvents extends readonly AnyEventDefinition[] = readonly AnyEventDefinition[]> = EventBusSettings<TEvents> &
  BrokerOption;

/** Options of {@link EventBus.connect} besides the broker; every one has a default. */
export interface EventBusSettings<TEvents extends readonly AnyEventDefinition[] = readonly AnyEventDefinition[]> extends TelemetryOptions {
  /** Durable topic exchange events are published to. @default 'events' */
  readonly exchange?: string;
  /** This service's queue. Needed by `handle` and `on$`; a publish-only bus leaves it out. */
  readonly queue?: string;
  /** How `queue` is declared: its type, durability, single active consumer (see {@link QueueOptions}). @default a durable quorum queue */
  readonly queueOptions?: QueueOptions;
  /** Unacked deliveries in flight, and so handlers running at once. @default 16 */
  readonly prefetch?: number;
  /** A handler still running after this has failed. @default 30000 */
  readonly handlerTimeoutMs?: number;
  /** Retries of failed deliveries, on the broker; `handle(p, h, { retry })` overrides it per handler. @default none: straight to Q.dlq */
  readonly retry?: RetryPolicy;
  /**
   * A message delivered again more than this many times without being settled
   * (it keeps killing its consumer) goes to Q.dlq unprocessed. Counted by the
   * broker on quorum queues, in-process otherwise. @default 10
   */
  readonly maxRedeliveries?: number;
  /** Unsettled publishes (waiting to be sent, or sent and not yet confirmed) before `publish` rejects with PUBLISH_BUFFER_FULL. @default 10000 */
  readonly maxPendingPublishes?: number;
  /**
   * A publish whose body is larger is refused (`PUBLISH_REFUSED`) before it is
   * sent. Set it to the broker's `max_message_size` when that was lowered, so a
   * too-large event is refused alone instead of closing the publish channel.
   * @default 134217728 (128 MiB, RabbitMQ's default max_message_size)
   */
  readonly maxMessageBytes?: number;
  /** Reject a publish no queue receives with PUBLISH_UNROUTABLE. @default false */
  readonly mandatory?: boolean;
  /** `publish` rejects when no confirm came within this time. @default 30000 */
  readonly publishTimeoutMs?: number;
  /** `connect` rejects when the broker did not answer within this time. @default 10000 */
  readonly connectTimeoutMs?: number;
  /** AMQP heartbeat; a dead peer is noticed after about twice this. @default 10 */
  readonly heartbeatSeconds?: number;
  /**
   * Wait before reconnecting, and before trying the next URL; after a round in
   * which every URL failed, twice as long each time, up to 30 s. @default 1000
   */
  readonly reconnectDelayMs?: number;
  /**
   * The connection names in the RabbitMQ management UI (`… (publish)` and `… (consume)`): at most 255 bytes.
   * Not sent with the messages (see `appId`). @default 'rx-pubsub'
   */
  readonly connectionName?: string;
  /**
   * The AMQP `appId` of every message this bus publishes, for consumers and tools that tell senders apart by it:
   * at most 255 bytes. @default none: not sent (the connection already names the sender; see docs/guide/wire-format.md)
   */
  readonly appId?: string;
  /**
   * `'utf-8'` sends the AMQP `contentEncoding` `utf-8` with every message, for consumers written against the
   * older wire format that read it; the body is UTF-8 JSON either way. @default none: not sent
   */
  readonly contentEncoding?: 'utf-8';
  /** Certificates for `amqps://` URLs: a private CA, a client certificate for mutual TLS or EXTERNAL login. @default Node's trusted CAs, no client certificate */
  readonly tls?: TlsOptions;
  /**
   * How long the bus may be unable to do its work (not connected, its consumer not active on the
   * broker or failing to be set up, its delivery pipeline restarting) before `bus.health()` says
   * `down` rather than `degraded`. The default is the default `publishTimeoutMs`: a broker restart
   * fits in it. Measured on the wall clock, also under a test `scheduler`. @default 30000
   */
  readonly healthGracePeriodMs?: number;
  /** Where rx-pubsub logs. @default silent */
  readonly logger?: Logger;
  /**
   * The event catalog: definitions made by `defineEvent`. It types `publish`,
   * `handle` and `on$` with their events, and guards the wire with their
   * schemas and versions (see `EventCatalog`). An event of another type that
   * a pattern matches reaches no handler and no stream: it is acked and counted
   * `unhandled`, so the types never lie. @default none: every event is a plain `Event`
   */
  readonly events?: TEvents;
  /** The event history, a stream of every event published to the exchange, that `replay$` reads. @default none: `replay$` refuses */
  readonly history?: HistoryOptions;
  /**
   * For tests: the RxJS scheduler handler timeouts (`handlerTimeoutMs`) run
   * on, e.g. a `TestScheduler` for virtual time. On `memory://`, pair it with
   * the broker's (`testBus({ scheduler })` from `rx-pubsub-amqp/testing` sets both).
   * @default the event loop's timers (asyncScheduler)
   */
  readonly scheduler?: SchedulerLike;
}
