import { BehaviorSubject, type Observable } from 'rxjs';
import { ConfigError, ConnectionError, ErrorCode, PublishError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ConnectionState, ConsumerSpec, OutboundMessage, QueueConsumer, Transport } from '../transport.js';
import { MemoryBroker, type MemoryConnection } from './memory-broker.js';
import { MemoryQueueConsumer } from './memory-queue-consumer.js';

/** Options of {@link MemoryTransport}. */
export interface MemoryTransportOptions {
  /** `memory://NAME`: transports with the same NAME share one in-process broker. */
  readonly url: string;
  readonly logger: Logger;
}

// One shared settled Promise: a memory publish is confirmed once routed, and a fresh Promise per message costs throughput.
const RESOLVED = Promise.resolve();

/**
 * A {@link Transport} over the in-process {@link MemoryBroker} named by the
 * URL's host. It behaves like RabbitMQ wherever a bus can observe it: topic
 * routing, confirms, prefetch, redelivery, dead-lettering, exclusive and
 * auto-delete queues. Each transport is one connection: closing it requeues
 * its unacked deliveries and drops their later settles.
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
  /** The broker this transport is connected to, for inspection in tests. */
  readonly broker: MemoryBroker;
  private readonly state = new BehaviorSubject<ConnectionState>({ status: 'connecting' });
  readonly state$: Observable<ConnectionState> = this.state.asObservable();
  private readonly connection: MemoryConnection;
  private readonly url: string;
  private readonly logger: Logger;

  constructor(options: MemoryTransportOptions) {
    this.url = options.url;
    this.broker = MemoryBroker.named(brokerNameOf(options.url));
    this.connection = this.broker.connect();
    this.logger = options.logger.child({ broker: this.broker.name });
  }

  connect(exchange: string): Promise<void> {
    if (this.connection.closed) return Promise.reject(closedError());
    this.broker.declareExchange(exchange);
    if (this.state.value.status !== 'connected') {
      this.state.next({ status: 'connected', url: this.url });
      this.logger.debug('connected', { exchange });
    }
    return RESOLVED;
  }

  /** Confirmed as soon as routed; `timeoutMs` never applies. */
  publish(message: OutboundMessage): Promise<void> {
    if (this.connection.closed) return Promise.reject(closedError());
    const outcome = this.broker.publish(message.exchange, message.routingKey, message.body, message.properties);
    if (outcome === 'routed' || (outcome === 'unroutable' && message.mandatory !== true)) return RESOLVED;
    const reason =
      outcome === 'no-exchange'
        ? `exchange "${message.exchange}" does not exist (NOT_FOUND)`
        : `no queue is bound for routing key "${message.routingKey}" and the message is mandatory (NO_ROUTE)`;
    return Promise.reject(new PublishError(ErrorCode.PUBLISH_REFUSED, `The broker refused the publish: ${reason}`));
  }

  consumer(spec: ConsumerSpec): QueueConsumer {
    return new MemoryQueueConsumer(this.broker, this.connection, spec, this.logger.child({ queue: spec.queue.name }));
  }

  /** Nothing is ever unconfirmed here, so closing is immediate. Idempotent. */
  close(): Promise<void> {
    if (this.connection.closed) return RESOLVED;
    this.broker.disconnect(this.connection);
    this.state.next({ status: 'closed' });
    this.state.complete();
    this.logger.debug('closed');
    return RESOLVED;
  }
}

function brokerNameOf(url: string): string {
  let host = '';
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'memory:') host = decodeURIComponent(parsed.host);
  } catch {
    // Reported below with the fix.
  }
  if (host === '') throw new ConfigError(ErrorCode.INVALID_OPTIONS, `Invalid memory URL "${url}": use memory://NAME, e.g. memory://demo`);
  return host;
}

function closedError(): ConnectionError {
  return new ConnectionError(ErrorCode.CLOSED, 'The transport is closed: connect a new bus to publish');
}
