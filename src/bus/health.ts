import type { ErrorCode } from '../errors.js';
import type { ConnectionState, ConsumerStatus, PublisherStatus } from '../transport/transport.js';

/** `up`: doing its work; `degraded`: not now, and recovering by itself; `down`: closed, or not recovering. */
export type HealthStatus = 'up' | 'degraded' | 'down';

/** The last error the consumer met while it could not consume, and when that began. */
export interface HealthError {
  /** The error's {@link ErrorCode}, e.g. `TOPOLOGY_FAILED` when the queue cannot be declared or consumed. */
  readonly code: ErrorCode;
  /** Credentials redacted, as in every rx-pubsub message. */
  readonly message: string;
  /** ISO-8601: when the consumer started failing with it. */
  readonly at: string;
}

/** The service queue's consumer, as the broker treats it (a `basic.cancel` or a channel the broker closed count). */
export interface ConsumerHealth {
  /**
   * `consuming`: active on the broker; `starting`: being established again (after a `basic.cancel`, a
   * channel the broker closed, a reconnect); `failing`: setting it up fails, retried; `stopped`: closed.
   */
  readonly status: ConsumerStatus['status'];
  /** The last failure, kept after the consumer recovered (so an on-call engineer sees what happened). */
  readonly lastError?: HealthError;
}

/**
 * What `bus.health()` returns and `bus.health$` emits: plain data, safe to serve as JSON (no credentials).
 *
 * | status     | when                                                                                          |
 * |------------|-----------------------------------------------------------------------------------------------|
 * | `up`       | connected and, on a bus with a `queue`, its consumer active on the broker                    |
 * | `degraded` | connecting or reconnecting, the consumer being established again or failing, the delivery pipeline restarting (each for less than `healthGracePeriodMs`), or the broker blocking publishes (an alarm: never `down` by itself) |
 * | `down`     | closing or closed, or one of the troubles above lasting `healthGracePeriodMs` or longer      |
 */
export interface BusHealth {
  /** `up`, `degraded` or `down` (see the table above): what a readiness probe answers on. */
  readonly status: HealthStatus;
  /** Why it is not `up`; absent when it is. */
  readonly reason?: string;
  /** ISO-8601: since when the bus cannot do its work (the grace period counts from it); absent when it can. */
  readonly since?: string;
  /** The bus's `state$`. */
  readonly connection: ConnectionState;
  /** Absent on a publish-only bus (no `queue`). */
  readonly consumer?: ConsumerHealth;
  /** The publishing side, sampled at each emission (read fresh by `health()`). */
  readonly publisher: PublisherStatus;
  /** Deliveries being handled now (each holds a slot of `prefetch`). */
  readonly inFlight: number;
  /** ISO-8601: when a delivery was last settled, to within a second; absent before the first. */
  readonly lastDeliveryAt?: string;
}

/** What {@link healthOf} derives the health from. Times are epoch milliseconds. */
export interface HealthInputs {
  readonly connection: ConnectionState;
  /** `undefined` on a publish-only bus. */
  readonly consumer: ConsumerStatus | undefined;
  readonly lastError: HealthError | undefined;
  readonly publisher: PublisherStatus;
  /** `close()` was called. */
  readonly closing: boolean;
  /** Since when {@link troubleOf} has said there is trouble, without a break. */
  readonly troubleSince: number | undefined;
  readonly now: number;
  readonly gracePeriodMs: number;
  readonly inFlight: number;
  readonly lastDeliveryAt: number | undefined;
}

/**
 * Why the bus cannot do its work right now, or `undefined` when it can: it is not connected,
 * the connection is degraded (a consumer or the publisher failing, the pipeline restarting),
 * or the consumer is not active on the broker. A blocked connection is no trouble: it is the
 * broker protecting itself, consuming goes on, and the alarm ends by itself.
 */
export function troubleOf(connection: ConnectionState, consumer: ConsumerStatus | undefined): string | undefined {
  if (consumer?.status === 'failing') return `${consumer.error.code}: ${consumer.error.message}`;
  if (connection.status === 'connecting') return 'connecting to the broker';
  if (connection.status === 'disconnected') return `disconnected: ${connection.reason}`;
  if (connection.status === 'degraded') return connection.reason;
  if (consumer?.status === 'starting') return 'the consumer is being established on the broker';
  return undefined;
}

/** The health the inputs amount to (see {@link BusHealth} for the rules). Pure. */
export function healthOf(inputs: HealthInputs): BusHealth {
  const { connection, consumer, now } = inputs;
  const trouble = troubleOf(connection, consumer);
  const since = trouble === undefined ? undefined : (inputs.troubleSince ?? now);
  const [status, reason] = statusOf(inputs, trouble, since);
  return Object.freeze({
    status,
    ...(reason === undefined ? {} : { reason }),
    ...(since === undefined ? {} : { since: new Date(since).toISOString() }),
    connection,
    ...(consumer === undefined ? {} : { consumer: consumerHealthOf(consumer, inputs.lastError) }),
    publisher: Object.freeze({ ...inputs.publisher }),
    inFlight: inputs.inFlight,
    ...(inputs.lastDeliveryAt === undefined ? {} : { lastDeliveryAt: new Date(inputs.lastDeliveryAt).toISOString() }),
  });
}

function statusOf(inputs: HealthInputs, trouble: string | undefined, since: number | undefined): [HealthStatus, string?] {
  const { connection, consumer, publisher } = inputs;
  if (connection.status === 'closed') return ['down', 'the bus is closed'];
  if (inputs.closing) return ['down', 'the bus is closing'];
  if (consumer?.status === 'stopped') return ['down', 'the consumer stopped'];
  if (trouble !== undefined && since !== undefined) {
    const lasted = inputs.now - since;
    if (lasted >= inputs.gracePeriodMs) return ['down', `${trouble} (for longer than the ${inputs.gracePeriodMs} ms grace period)`];
    return ['degraded', trouble];
  }
  if (connection.status === 'blocked') return ['degraded', `blocked: ${connection.reason}`];
  if (publisher.blocked) return ['degraded', 'blocked: the broker blocks publishing'];
  return ['up'];
}

function consumerHealthOf(consumer: ConsumerStatus, lastError: HealthError | undefined): ConsumerHealth {
  return Object.freeze({ status: consumer.status, ...(lastError === undefined ? {} : { lastError }) });
}

/** The {@link HealthError} of a failing consumer. */
export function healthErrorOf(consumer: Extract<ConsumerStatus, { status: 'failing' }>): HealthError {
  // A transport of the application's may give no time: then it began now.
  const at = Number.isFinite(consumer.since) ? consumer.since : Date.now();
  return Object.freeze({ code: consumer.error.code, message: consumer.error.message, at: new Date(at).toISOString() });
}

/** Whether two snapshots differ in what `health$` emits on: status, reason, connection, consumer, `publisher.blocked`. */
export function sameHealth(a: BusHealth, b: BusHealth): boolean {
  return (
    a.status === b.status &&
    a.reason === b.reason &&
    a.since === b.since &&
    a.connection.status === b.connection.status &&
    reasonOf(a.connection) === reasonOf(b.connection) &&
    a.consumer?.status === b.consumer?.status &&
    a.consumer?.lastError === b.consumer?.lastError &&
    a.publisher.blocked === b.publisher.blocked
  );
}

function reasonOf(state: ConnectionState): string | undefined {
  return 'reason' in state ? state.reason : undefined;
}
