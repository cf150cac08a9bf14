import { Observable } from 'rxjs';
import { ConfigError, ConnectionError, ErrorCode, isRxPubsubError, messageOf, type RxPubsubError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { closedError } from '../closed-error.js';
import { deadLetterQueueOf, retryQueueName, retryQueueOf, serviceQueueOf } from '../queue-topology.js';
import { ConsumerStatusKeeper } from '../consumer-status-keeper.js';
import type { ConsumerSpec, ConsumerStatus, Delivery, QueueConsumer } from '../transport.js';
import type { CancelTimer } from './memory-clock.js';
import type { MemoryBroker } from './memory-broker.js';
import type { MemoryConnection } from './memory-connection.js';
import type { DeliverySink, MemoryConsumer } from './memory-consumer.js';

/** @internal What a queue consumer shares with its transport. */
export interface ConnectionLink {
  readonly broker: MemoryBroker;
  /** Replaced by a new one after the broker dropped it. */
  readonly connection: MemoryConnection;
  /** Closed by its transport, for good (a dropped connection is not). */
  readonly closed: boolean;
  /** Resolves once the connection is up (at once when it is). */
  whenConnected(): Promise<void>;
}

/** One subscription to `deliveries$`: a broker consumer, started again after every loss. */
interface Subscription {
  start(): void;
  complete(): void;
}

const RESOLVED = Promise.resolve();
/** The first wait before declaring again after a failure; it doubles up to the maximum. */
const RETRY_DELAY_MS = 100;
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * The {@link QueueConsumer} of a memory transport. The queue and its
 * dead-letter queue are declared at construction; a declaration failure is
 * reported by `ready()`, `bind()` and `deliveries$`.
 *
 * Each subscription to `deliveries$` is a broker consumer of its own, and
 * stays open across broker-side losses, as on the AMQP transport:
 *
 * | the broker...                       | the consumer...                                     |
 * |-------------------------------------|-----------------------------------------------------|
 * | deletes the queue                   | declares it again, re-binds, consumes (next turn)   |
 * | cancels the consumer (`basic.cancel`) | consumes again (next turn)                        |
 * | drops the connection                | on reconnect: declares, re-binds, consumes again    |
 * | - (the transport closes)            | completes `deliveries$`                             |
 *
 * While the connection is down, `bind`, `unbind`, `ready` and `retryQueue`
 * wait for the reconnect.
 */
export class MemoryQueueConsumer implements QueueConsumer {
  private readonly keys = new Set<string>();
  private readonly retryDelays = new Set<number>();
  private readonly subscriptions = new Set<Subscription>();
  private failure: RxPubsubError | undefined;
  private readonly status = new ConsumerStatusKeeper();
  /** Declaring again failed that many times in a row; a retry is scheduled while it is above 0. */
  private retries = 0;
  private cancelRetry: CancelTimer | undefined;
  private lastFailure: string | undefined;

  readonly status$: Observable<ConsumerStatus> = this.status.status$;

  constructor(
    private readonly link: ConnectionLink,
    private readonly spec: ConsumerSpec,
    private readonly logger: Logger,
  ) {
    // A first declaration that fails is reported by ready(), bind() and deliveries$, and not retried:
    // the bus's connect fails with it. A later one (queue deleted, reconnect) is retried, as on RabbitMQ.
    this.failure = this.declare();
    if (this.failure === undefined) this.status.consuming();
    else this.status.failing(this.failure);
  }

  readonly deliveries$: Observable<Delivery> = new Observable<Delivery>((subscriber) => {
    const { link, spec, logger } = this;
    const queue = spec.queue.name;
    let consumer: MemoryConsumer | undefined;
    const sink: DeliverySink = {
      deliver: (delivery) => subscriber.next(delivery),
      cancelled: (reason) => {
        consumer = undefined;
        // Closed by the transport: done. Dropped by the broker: the transport reconnects and calls start().
        if (reason === 'closed') {
          if (link.closed) subscriber.complete();
          return;
        }
        const message =
          reason === 'deleted'
            ? 'the queue was deleted; declaring it again and consuming'
            : 'the broker cancelled the consumer; consuming again';
        logger.warn({ queue }, message);
        link.broker.clock.schedule(() => {
          if (subscriber.closed || link.closed || link.connection.closed) return;
          this.declareAgain();
        }, 0);
      },
    };
    const start = (): void => {
      if (consumer !== undefined || subscriber.closed) return;
      if (link.closed) return subscriber.error(closedError());
      if (this.failure !== undefined && this.retries > 0) return; // declareAgain() starts it once it succeeds
      if (this.failure !== undefined) return subscriber.error(this.failure);
      if (link.connection.closed) return;
      try {
        consumer = link.broker.consume(queue, link.connection, spec.prefetch, sink);
      } catch (error) {
        subscriber.error(toRxPubsubError(error, `consume from queue "${queue}"`));
      }
    };
    const subscription: Subscription = { start, complete: () => subscriber.complete() };
    this.subscriptions.add(subscription);
    start();
    return () => {
      this.subscriptions.delete(subscription);
      consumer?.cancel();
      consumer = undefined;
    };
  });

  bind(key: string): Promise<void> {
    this.keys.add(key);
    return this.apply(() => this.link.broker.bind(this.spec.exchange, this.spec.queue.name, key), `bind "${key}" to queue`);
  }

  /** A binding, queue or exchange that is already gone is not an error. */
  unbind(key: string): Promise<void> {
    this.keys.delete(key);
    return this.apply(() => this.link.broker.unbind(this.spec.exchange, this.spec.queue.name, key), `unbind "${key}" from queue`);
  }

  /** Declaration, bindings and consume are synchronous here, so only a failure, a reconnect or a close can be pending. */
  ready(): Promise<void> {
    return this.apply(() => undefined, 'declare queue');
  }

  /**
   * Declares `<queue>.retry.<delayMs>` (idempotent; again after every
   * reconnect): durable, messages expire after `delayMs` and are
   * dead-lettered through the default exchange back to the service queue.
   *
   * @throws {ConfigError} `INVALID_ARGUMENT` (as a rejection) unless `delayMs` is a whole number, 0 or more.
   */
  retryQueue(delayMs: number): Promise<string> {
    if (!(Number.isSafeInteger(delayMs) && delayMs >= 0)) {
      return Promise.reject(
        new ConfigError(
          ErrorCode.INVALID_ARGUMENT,
          `retryQueue(delayMs): delayMs must be a whole number of milliseconds, 0 or more (got ${String(delayMs)})`,
        ),
      );
    }
    const name = retryQueueName(this.spec.queue.name, delayMs);
    return this.apply(() => {
      this.declareRetryQueue(delayMs);
      this.retryDelays.add(delayMs);
    }, `declare retry queue "${name}" for queue`).then(() => name);
  }

  redeclare(): Promise<void> {
    const { link } = this;
    if (link.closed) return Promise.reject(closedError());
    if (link.connection.closed) return link.whenConnected().then(() => this.redeclare());
    this.declareAgain();
    return this.failure === undefined ? RESOLVED : Promise.reject(this.failure);
  }

  /** @internal The transport has a new connection: declare everything again and consume again. */
  reconnected(): void {
    this.declareAgain();
  }

  /** @internal The transport closed: complete every subscription, waiting ones included. */
  transportClosed(): void {
    this.cancelRetry?.();
    for (const subscription of [...this.subscriptions]) subscription.complete();
    this.status.stopped();
  }

  /**
   * Declares everything again and consumes again; while that fails, the status
   * is `failing` and it is retried after a delay that doubles each time, as the
   * AMQP consumer reopens its channel.
   */
  private declareAgain(): void {
    this.cancelRetry?.();
    this.cancelRetry = undefined;
    this.failure = this.declare();
    if (this.failure === undefined) {
      this.retries = 0;
      this.status.consuming();
      for (const subscription of [...this.subscriptions]) subscription.start();
      return;
    }
    this.status.failing(this.failure);
    const delayMs = Math.min(RETRY_DELAY_MS * 2 ** this.retries++, MAX_RETRY_DELAY_MS);
    this.cancelRetry = this.link.broker.clock.timer(() => {
      if (!this.link.closed && !this.link.connection.closed) this.declareAgain();
    }, delayMs);
  }

  private apply(operation: () => unknown, what: string): Promise<void> {
    const { link } = this;
    if (link.closed) return Promise.reject(closedError());
    if (link.connection.closed) return link.whenConnected().then(() => this.apply(operation, what));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    try {
      operation();
      return RESOLVED;
    } catch (error) {
      return Promise.reject(toRxPubsubError(error, `${what} "${this.spec.queue.name}"`));
    }
  }

  // The exchange too, so that consuming before connect() works as on RabbitMQ, where setup asserts it.
  // While the connection is down there is nothing to do: the reconnect declares everything.
  private declare(): RxPubsubError | undefined {
    const { exchange, queue } = this.spec;
    const { broker, connection } = this.link;
    if (connection.closed) return undefined;
    try {
      broker.declareExchange(exchange);
      broker.declareQueue(queue.deadLetterQueue, deadLetterQueueOf(queue), connection);
      broker.declareQueue(queue.name, serviceQueueOf(queue), connection);
      for (const key of this.keys) broker.bind(exchange, queue.name, key);
      for (const delayMs of this.retryDelays) this.declareRetryQueue(delayMs);
      this.lastFailure = undefined;
      return undefined;
    } catch (error) {
      const failure = toRxPubsubError(error, `declare queue "${queue.name}"`);
      // Each new reason once at error level, not every retry.
      const fields = { queue: queue.name, error: failure.message, retries: this.retries };
      if (failure.message === this.lastFailure) this.logger.debug(fields, 'could not declare the queue, again');
      else this.logger.error(fields, 'could not declare the queue');
      this.lastFailure = failure.message;
      return failure;
    }
  }

  private declareRetryQueue(delayMs: number): void {
    const queue = this.spec.queue;
    this.link.broker.declareQueue(retryQueueName(queue.name, delayMs), retryQueueOf(queue, delayMs), this.link.connection);
  }
}

function toRxPubsubError(error: unknown, what: string): RxPubsubError {
  if (isRxPubsubError(error)) return error;
  return new ConnectionError(ErrorCode.TOPOLOGY_FAILED, `Could not ${what}: ${messageOf(error)}`, { cause: error });
}
