import { Observable } from 'rxjs';
import { ConnectionError, ErrorCode, isRxPubsubError, messageOf, type RxPubsubError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ConsumerSpec, Delivery, QueueConsumer } from '../transport.js';
import type { MemoryBroker, MemoryConnection } from './memory-broker.js';
import type { DeliverySink, MemoryConsumer } from './memory-consumer.js';

const RESOLVED = Promise.resolve();
// Captured at load for the same reason as the broker's: fake timers must not freeze it.
const defer = globalThis.setImmediate;

/**
 * The {@link QueueConsumer} of a memory transport. The queue and its
 * dead-letter queue are declared at construction; a declaration failure is
 * reported by `ready()`, `bind()` and `deliveries$`.
 *
 * Each subscription to `deliveries$` is a broker consumer of its own. When the
 * broker deletes the queue under it, it declares the queue again, re-applies
 * the bindings and consumes again on the next turn, as the AMQP transport
 * does after a `basic.cancel`. When the transport closes, it completes.
 */
export class MemoryQueueConsumer implements QueueConsumer {
  private readonly keys = new Set<string>();
  private failure: RxPubsubError | undefined;

  constructor(
    private readonly broker: MemoryBroker,
    private readonly connection: MemoryConnection,
    private readonly spec: ConsumerSpec,
    private readonly logger: Logger,
  ) {
    this.failure = this.declare();
  }

  readonly deliveries$: Observable<Delivery> = new Observable<Delivery>((subscriber) => {
    const { broker, connection, spec, logger } = this;
    let consumer: MemoryConsumer | undefined;
    const start = (): void => {
      const failure = this.failure ?? (connection.closed ? closedError() : undefined);
      if (failure !== undefined) return subscriber.error(failure);
      try {
        consumer = broker.consume(spec.queue.name, connection, spec.prefetch, sink);
      } catch (error) {
        subscriber.error(toRxPubsubError(error, `consume from queue "${spec.queue.name}"`));
      }
    };
    const sink: DeliverySink = {
      deliver: (delivery) => subscriber.next(delivery),
      cancelled: (reason) => {
        consumer = undefined;
        if (reason === 'closed') return subscriber.complete();
        logger.warn('the queue was deleted; declaring it again and consuming', { queue: spec.queue.name });
        defer(() => {
          if (subscriber.closed || connection.closed) return;
          this.failure = this.declare();
          start();
        });
      },
    };
    start();
    return () => consumer?.cancel();
  });

  bind(key: string): Promise<void> {
    this.keys.add(key);
    return this.apply(() => this.broker.bind(this.spec.exchange, this.spec.queue.name, key));
  }

  /** A binding, queue or exchange that is already gone is not an error. */
  unbind(key: string): Promise<void> {
    this.keys.delete(key);
    return this.apply(() => this.broker.unbind(this.spec.exchange, this.spec.queue.name, key));
  }

  /** Declaration, bindings and consume are synchronous here, so only a failure or a close can be pending. */
  ready(): Promise<void> {
    return this.apply(() => undefined);
  }

  private apply(operation: () => unknown): Promise<void> {
    if (this.connection.closed) return Promise.reject(closedError());
    if (this.failure !== undefined) return Promise.reject(this.failure);
    try {
      operation();
      return RESOLVED;
    } catch (error) {
      return Promise.reject(toRxPubsubError(error, `update the bindings of queue "${this.spec.queue.name}"`));
    }
  }

  // The exchange too, so that consuming before connect() works as on RabbitMQ, where setup asserts it.
  private declare(): RxPubsubError | undefined {
    const { exchange, queue } = this.spec;
    try {
      this.broker.declareExchange(exchange);
      this.broker.declareQueue(queue.deadLetterQueue, { durable: true, exclusive: false, autoDelete: false, arguments: {} }, this.connection);
      this.broker.declareQueue(
        queue.name,
        {
          durable: queue.durable,
          exclusive: queue.exclusive,
          autoDelete: queue.autoDelete,
          arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue.deadLetterQueue, ...queue.arguments },
        },
        this.connection,
      );
      for (const key of this.keys) this.broker.bind(exchange, queue.name, key);
      return undefined;
    } catch (error) {
      const failure = toRxPubsubError(error, `declare queue "${queue.name}"`);
      this.logger.error('could not declare the queue', { queue: queue.name, error: failure.message });
      return failure;
    }
  }
}

function closedError(): ConnectionError {
  return new ConnectionError(ErrorCode.CLOSED, 'The transport is closed: connect a new bus to consume');
}

function toRxPubsubError(error: unknown, what: string): RxPubsubError {
  if (isRxPubsubError(error)) return error;
  return new ConnectionError(ErrorCode.TOPOLOGY_FAILED, `Could not ${what}: ${messageOf(error)}`, { cause: error });
}
