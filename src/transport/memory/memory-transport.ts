import { BehaviorSubject, combineLatest, distinctUntilChanged, map, type Observable, of, switchMap } from 'rxjs';
import { withConsumers } from '../consumer-status-keeper.js';
import { ConfigError, ErrorCode, type PublishError } from '../../errors.js';
import type { Event } from '../../event/event.js';
import { encodeEventInProcess } from '../../event/serializer.js';
import type { Logger } from '../../logger.js';
import { redactUrl } from '../../redact-url.js';
import { DEFAULT_MAX_MESSAGE_BYTES, messageRefusal } from '../message-limits.js';
import { PublishBuffer } from '../publish-buffer.js';
import { publishTimeoutError, refusedError, unroutableError, unsendableError } from '../publish-errors.js';
import {
  bodyBytes,
  type ConnectionState,
  type ConsumerSpec,
  type HistoryLog,
  type HistorySpec,
  type OutboundMessage,
  type PublisherStatus,
  type QueueConsumer,
  type Transport,
} from '../transport.js';
import { closedError } from '../closed-error.js';
import { memoryBrokerName } from './memory-broker-name.js';
import { MemoryBroker, type PublishOutcome } from './memory-broker.js';
import type { ConnectionListener, MemoryConnection } from './memory-connection.js';
import { MemoryHistory } from './memory-history.js';
import { type ConnectionLink, MemoryQueueConsumer } from './memory-queue-consumer.js';

/** Options of {@link MemoryTransport}. */
export interface MemoryTransportOptions {
  /** `memory://NAME`: transports with the same NAME share one in-process broker. */
  readonly url: string;
  /** Where connection events go: pass `silentLogger` for none. */
  readonly logger: Logger;
  /** Publishes that may be held while disconnected or blocked before `publish` rejects. @default 10000 */
  readonly maxPendingPublishes?: number;
  /** Larger message bodies are refused with `PUBLISH_REFUSED`, as on RabbitMQ. @default 134217728 (128 MiB, RabbitMQ's max_message_size) */
  readonly maxMessageBytes?: number;
}

// One shared settled Promise: a memory publish is confirmed once routed, and a fresh Promise per message costs throughput.
const RESOLVED = Promise.resolve();

/**
 * A {@link Transport} over the in-process {@link MemoryBroker} named by the
 * URL's host. It behaves like RabbitMQ wherever a bus can observe it: topic
 * routing, confirms, prefetch, redelivery, dead-lettering, TTLs, quorum and
 * exclusive and auto-delete queues, and the faults the broker injects.
 *
 * | the broker...                  | the transport...                                              |
 * |--------------------------------|---------------------------------------------------------------|
 * | drops the connection           | `disconnected`, then on the next turn a new connection: `connected`, topology declared again, consumers consume again, held publishes sent |
 * | blocks (`block`)               | `blocked`; publishes held, in order, until `unblock` (`connected`) |
 * | refuses a publish              | rejects it with `PublishError` `PUBLISH_REFUSED`              |
 *
 * A held publish rejects with `PUBLISH_TIMEOUT` after its `timeoutMs`.
 *
 * | call after `close()`    | result                         |
 * |-------------------------|--------------------------------|
 * | `publish`               | rejects `ConnectionError` `CLOSED` |
 * | `connect`               | rejects `CLOSED`               |
 * | `consumer(...).ready()` | rejects `CLOSED`               |
 * | `delivery.ack()`        | `false` (dropped; redelivered) |
 *
 * @example
 * const transport = new MemoryTransport({ url: 'memory://demo', logger: silentLogger });
 * await transport.connect('events');
 *
 * @throws {ConfigError} `INVALID_OPTIONS` when the URL is not `memory://NAME`.
 */
export class MemoryTransport implements Transport {
  /** The broker this transport is connected to, for inspection and fault injection in tests. */
  readonly broker: MemoryBroker;
  private readonly state = new BehaviorSubject<ConnectionState>({ status: 'connecting' });
  private readonly consumerList = new BehaviorSubject<readonly MemoryQueueConsumer[]>([]);
  /** The connection's state; `degraded` while the connection is up and a consumer is failing. */
  readonly state$: Observable<ConnectionState> = combineLatest([
    this.state,
    this.consumerList.pipe(switchMap((consumers) => (consumers.length === 0 ? of([]) : combineLatest(consumers.map((c) => c.status$))))),
  ]).pipe(
    map(([state, statuses]) => withConsumers(state, statuses)),
    distinctUntilChanged((a, b) => a === b || (a.status === 'degraded' && b.status === 'degraded')),
  );
  private readonly url: string;
  private readonly logger: Logger;
  private readonly link: ConnectionLink & { connection: MemoryConnection; closed: boolean };
  private readonly exchanges = new Set<string>();
  private readonly consumers = new Set<MemoryQueueConsumer>();
  private readonly histories = new Set<MemoryHistory>();
  /** Publishes waiting for the connection to come back or the alarm to end; on the broker's clock. */
  private readonly held: PublishBuffer;
  private readonly maxMessageBytes: number;
  private reconnectWaiters: (() => void)[] = [];
  /** Publishes wait: the connection is down or blocked. */
  private holding = false;
  /** `close()` was called: new publishes reject; held ones still go out. */
  private closing = false;
  private closed$: Promise<void> | undefined;

  constructor(options: MemoryTransportOptions) {
    this.url = redactUrl(options.url);
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const broker = MemoryBroker.named(brokerNameOf(options.url));
    this.broker = broker;
    this.held = new PublishBuffer({
      // The broker's clock at each call: a test may move the broker onto a scheduler after this transport exists.
      clock: { now: () => broker.clock.now(), timer: (work, delayMs) => broker.clock.timer(work, delayMs) },
      maxPending: options.maxPendingPublishes ?? 10_000,
      timeoutError: (message) => publishTimeoutError(message, ': the memory broker was disconnected or blocked all that time'),
    });
    this.logger = options.logger.child({ broker: this.broker.name });
    this.link = {
      broker: this.broker,
      connection: this.broker.connect(this.listener),
      closed: false,
      whenConnected: () => (this.link.connection.closed ? new Promise((resolve) => this.reconnectWaiters.push(resolve)) : RESOLVED),
    };
    this.holding = this.broker.blockReason !== undefined;
  }

  connect(exchange: string): Promise<void> {
    if (this.closing) return Promise.reject(closedError());
    this.exchanges.add(exchange);
    if (this.link.connection.closed) return this.link.whenConnected();
    this.broker.declareExchange(exchange);
    if (this.state.value.status === 'connecting') {
      this.state.next({ status: 'connected', url: this.url });
      this.logger.debug({ exchange }, 'connected');
      const blocked = this.broker.blockReason;
      if (blocked !== undefined) this.state.next({ status: 'blocked', reason: blocked });
    }
    return RESOLVED;
  }

  /** A Buffer that remembers `event`, so its consumers decode the very object: see {@link Transport.encode}. */
  encode(event: Event): Buffer {
    return encodeEventInProcess(event);
  }

  /** Confirmed as soon as routed; while disconnected or blocked, held (at most `timeoutMs`). */
  publish(message: OutboundMessage): Promise<void> {
    // What amqplib could not encode (or RabbitMQ would refuse for size) is refused here too, before holding.
    const refusal = messageRefusal(message, this.maxMessageBytes);
    if (refusal !== undefined) return Promise.reject(unsendableError(message, refusal));
    if (this.holding || this.closing) return this.hold(message);
    const outcome = this.broker.publish(message.exchange, message.routingKey, bodyBytes(message.body), message.properties);
    if (outcome === 'routed' || (outcome === 'unroutable' && message.mandatory !== true)) return RESOLVED;
    return Promise.reject(this.refused(message, outcome));
  }

  /** Held publishes are `buffered`; a memory publish is confirmed as it is routed, so none is `unconfirmed`. */
  publisherStatus(): PublisherStatus {
    return { buffered: this.held.size, unconfirmed: 0, blocked: !this.link.closed && this.broker.blockReason !== undefined };
  }

  consumer(spec: ConsumerSpec): QueueConsumer {
    const consumer = new MemoryQueueConsumer(this.link, spec, this.logger.child({ queue: spec.queue.name }));
    if (!this.link.closed) {
      this.consumers.add(consumer);
      this.consumerList.next([...this.consumers]);
    }
    return consumer;
  }

  /** The broker's stream `spec.stream` as an event log (see {@link HistoryLog} for how reads behave). */
  history(spec: HistorySpec): HistoryLog {
    const history = new MemoryHistory(this.broker, spec);
    if (this.link.closed) history.close();
    else this.histories.add(history);
    return history;
  }

  /**
   * Waits for held publishes (each bounded by its timeout; all by `timeoutMs`,
   * on the broker's clock, past which they reject with `CLOSED`), then closes. Idempotent.
   */
  close(timeoutMs?: number): Promise<void> {
    if (this.closed$ !== undefined) return this.closed$;
    this.closing = true;
    if (this.held.size === 0) {
      this.finish();
      this.closed$ = RESOLVED;
    } else {
      this.closed$ = this.held.drain(timeoutMs).then((drained) => {
        if (!drained) this.logger.warn({}, 'close() deadline passed: held publishes rejected');
        this.finish();
      });
    }
    return this.closed$;
  }

  /** What JSON.stringify shows (the broker it holds is a graph with cycles). */
  toJSON(): object {
    return { transport: 'memory', url: this.url, broker: this.broker.name, closed: this.closed$ !== undefined };
  }

  private finish(): void {
    this.link.closed = true;
    this.broker.disconnect(this.link.connection);
    for (const consumer of this.consumers) consumer.transportClosed();
    this.consumers.clear();
    for (const history of this.histories) history.close();
    this.consumerList.complete();
    this.wakeReconnectWaiters();
    this.state.next({ status: 'closed' });
    this.state.complete();
    this.logger.debug({}, 'closed');
  }

  /** Routes a held message; returns why the broker refused it, if it did. */
  private send(message: OutboundMessage): PublishError | undefined {
    const outcome = this.broker.publish(message.exchange, message.routingKey, bodyBytes(message.body), message.properties);
    return outcome === 'routed' || (outcome === 'unroutable' && message.mandatory !== true) ? undefined : this.refused(message, outcome);
  }

  private refused(message: OutboundMessage, outcome: PublishOutcome): PublishError {
    if (outcome === 'unroutable') return unroutableError(message);
    if (outcome === 'refused') return refusedError(message, this.broker.lastRefusal);
    return refusedError(message, `exchange "${message.exchange}" does not exist (NOT_FOUND)`, false);
  }

  private hold(message: OutboundMessage): Promise<void> {
    return this.closing ? Promise.reject(closedError()) : this.held.hold(message);
  }

  /** Sends the held publishes in order, until the connection holds again. */
  private release(): void {
    while (!this.holding) {
      const held = this.held.next();
      if (held === undefined) return;
      this.held.settle(held, this.send(held.message));
    }
  }

  private readonly listener: ConnectionListener = {
    closedByBroker: (reason) => {
      if (this.link.closed) return;
      this.holding = true;
      this.logger.warn({ reason }, 'the broker closed the connection; reconnecting');
      this.state.next({ status: 'disconnected', reason });
      this.broker.clock.schedule(this.reconnect, 0);
    },
    // Before connect(), only the holding changes: connect() reports `connected`, then `blocked` if it still is.
    blocked: (reason) => {
      if (this.link.closed) return;
      this.holding = true;
      this.logger.warn({ reason }, 'the broker blocked the connection; holding publishes');
      if (this.state.value.status !== 'connecting') this.state.next({ status: 'blocked', reason });
    },
    unblocked: () => {
      if (this.link.closed) return;
      this.holding = false;
      this.logger.info({}, 'the broker unblocked the connection');
      if (this.state.value.status !== 'connecting') this.state.next({ status: 'connected', url: this.url });
      this.release();
    },
  };

  private readonly reconnect = (): void => {
    if (this.link.closed) return this.wakeReconnectWaiters();
    this.link.connection = this.broker.connect(this.listener);
    for (const exchange of this.exchanges) this.broker.declareExchange(exchange);
    this.logger.info({}, 'reconnected');
    this.state.next({ status: 'connected', url: this.url });
    for (const consumer of this.consumers) consumer.reconnected();
    const blocked = this.broker.blockReason;
    if (blocked === undefined) {
      this.holding = false;
      this.release();
    } else {
      this.state.next({ status: 'blocked', reason: blocked });
    }
    this.wakeReconnectWaiters();
  };

  private wakeReconnectWaiters(): void {
    const waiters = this.reconnectWaiters;
    this.reconnectWaiters = [];
    for (const wake of waiters) wake();
  }
}

function brokerNameOf(url: string): string {
  const host = memoryBrokerName(url);
  if (host === undefined)
    throw new ConfigError(ErrorCode.INVALID_OPTIONS, `Invalid memory URL "${url}": use memory://NAME, e.g. memory://demo`);
  return host;
}
