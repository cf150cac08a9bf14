import type { Channel, ConsumeMessage } from 'amqplib';
import { Observable, Subject } from 'rxjs';
import { ConnectionError, ErrorCode, messageOf } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ConsumerSpec, ConsumerStatus, Delivery, QueueConsumer } from '../transport.js';
import { ConsumerStatusKeeper } from '../consumer-status-keeper.js';
import { redactText } from '../../redact-url.js';
import type { AmqpConnection } from './amqp-connection.js';
import { deadLetterQueueOf, retryQueueName, retryQueueOf, serviceQueueOf } from '../queue-topology.js';
import { queueTypeFix, queueTypeMismatchIn } from '../queue-type-mismatch.js';
import { AckBatcher } from './ack-batcher.js';
import { AmqpDelivery } from './amqp-delivery.js';
import { ManagedChannel } from './managed-channel.js';

/**
 * Consumes one queue on a channel of its own. Every new channel (after a
 * reconnect, or after the broker closed or cancelled us) re-declares the queue
 * and its dead-letter queue, re-applies the bindings and consumes again.
 */
export class AmqpConsumer implements QueueConsumer {
  private readonly channel: ManagedChannel<Channel>;
  private readonly keys = new Set<string>();
  private readonly retryQueues = new Map<number, Promise<string>>();
  private readonly deliveries = new Subject<Delivery>();
  private readonly dead = new WeakSet<Channel>();
  private readonly consumers = new WeakMap<Channel, Promise<string>>();
  private readonly batchers = new WeakMap<Channel, AckBatcher>();
  private consuming = false;
  private closing = false;

  constructor(
    connection: AmqpConnection,
    /** The first connect of the consuming connection; its failure is what `ready()` reports. */
    private readonly connected: Promise<void>,
    private readonly spec: ConsumerSpec,
    private readonly logger: Logger,
    reopenDelayMs: number,
  ) {
    this.channel = new ManagedChannel<Channel>(connection, {
      name: `consume ${spec.queue.name}`,
      confirm: false,
      setup: (channel) => this.setup(channel),
      reopenDelayMs,
      logger,
    });
    this.channel.opened$.subscribe(() => this.status.consuming());
    this.channel.setupFailed$.subscribe((error) => this.status.failing(this.topologyError(error, 'set up the consumer')));
    // The broker closed the channel, or the connection dropped: no consumer until the next channel is set up.
    this.channel.closed$.subscribe(({ channel }) => !this.closing && this.consumers.has(channel) && this.status.restarting());
  }

  private readonly status = new ConsumerStatusKeeper();
  readonly status$: Observable<ConsumerStatus> = this.status.status$;

  readonly deliveries$: Observable<Delivery> = new Observable<Delivery>((subscriber) => {
    const subscription = this.deliveries.subscribe(subscriber);
    this.consuming = true;
    const channel = this.channel.current;
    if (channel) this.consumeOn(channel).catch(() => this.channel.reopen());
    return () => {
      subscription.unsubscribe();
      this.consuming = false;
      const current = this.channel.current;
      const tag = current && this.consumers.get(current);
      if (current && tag) {
        this.consumers.delete(current);
        tag.then((t) => current.cancel(t)).catch(() => undefined);
      }
    };
  });

  bind(key: string): Promise<void> {
    this.keys.add(key);
    return this.apply((channel) => channel.bindQueue(this.spec.queue.name, this.spec.exchange, key), `bind "${key}"`);
  }

  unbind(key: string): Promise<void> {
    this.keys.delete(key);
    return this.apply((channel) => channel.unbindQueue(this.spec.queue.name, this.spec.exchange, key), `unbind "${key}"`);
  }

  retryQueue(delayMs: number): Promise<string> {
    let declared = this.retryQueues.get(delayMs);
    if (!declared) {
      const name = retryQueueName(this.spec.queue.name, delayMs);
      declared = this.apply((channel) => this.declareRetryQueue(channel, delayMs), `declare "${name}"`).then(() => name);
      declared.catch(() => this.retryQueues.delete(delayMs));
      this.retryQueues.set(delayMs, declared);
    }
    return declared;
  }

  async ready(): Promise<void> {
    await this.apply(async (channel) => {
      if (this.consuming) await this.consumeOn(channel);
    }, 'consume');
  }

  /** Sends the acks still batched, then closes the channel (by `deadline`, epoch ms); unsettled deliveries are redelivered by the broker. */
  async close(deadline: number): Promise<void> {
    this.closing = true;
    const current = this.channel.current;
    if (current) this.batchers.get(current)?.flush();
    this.deliveries.complete();
    await this.channel.close(deadline);
    this.status.stopped();
  }

  redeclare(): Promise<void> {
    return this.apply((channel) => this.declareTopology(channel), 'declare again');
  }

  private async setup(channel: Channel): Promise<void> {
    channel.on('close', () => this.dead.add(channel));
    await this.declareTopology(channel);
    await channel.prefetch(this.spec.prefetch, false);
    if (this.consuming) await this.consumeOn(channel);
  }

  private async declareTopology(channel: Channel): Promise<void> {
    const { exchange, queue } = this.spec;
    await channel.assertExchange(exchange, 'topic', { durable: true });
    await channel.assertQueue(queue.deadLetterQueue, deadLetterQueueOf(queue));
    await channel.assertQueue(queue.name, serviceQueueOf(queue));
    await Promise.all([...this.retryQueues.keys()].map((delayMs) => this.declareRetryQueue(channel, delayMs)));
    await Promise.all([...this.keys].map((key) => channel.bindQueue(queue.name, exchange, key)));
  }

  private async declareRetryQueue(channel: Channel, delayMs: number): Promise<void> {
    const { queue } = this.spec;
    await channel.assertQueue(retryQueueName(queue.name, delayMs), retryQueueOf(queue, delayMs));
  }

  /** Starts (once per channel) the consumer; resolves with its tag. */
  private consumeOn(channel: Channel): Promise<string> {
    let started = this.consumers.get(channel);
    if (!started) {
      started = channel.consume(this.spec.queue.name, (message) => this.onMessage(channel, message)).then((reply) => reply.consumerTag);
      this.consumers.set(channel, started);
    }
    return started;
  }

  private onMessage(channel: Channel, message: ConsumeMessage | null): void {
    if (message) {
      const acks = this.acksOf(channel);
      acks.delivered(message.fields.deliveryTag);
      this.deliveries.next(new AmqpDelivery(message, acks));
      return;
    }
    // basic.cancel from the broker (queue deleted, failover): the connection is fine but nobody consumes.
    // Consume again on the same channel, so deliveries in flight can still be acked; reopen if that fails.
    this.logger.warn({ queue: this.spec.queue.name }, 'the broker cancelled the consumer; consuming again');
    this.consumers.delete(channel);
    this.status.restarting();
    this.declareTopology(channel)
      .then(async () => {
        if (!this.consuming || this.dead.has(channel)) return;
        await this.consumeOn(channel);
        this.status.consuming();
      })
      .catch(() => this.channel.reopen());
  }

  private acksOf(channel: Channel): AckBatcher {
    let acks = this.batchers.get(channel);
    if (!acks) {
      acks = new AckBatcher(channel, () => !this.dead.has(channel));
      this.batchers.set(channel, acks);
    }
    return acks;
  }

  /** Runs `operation` on a set-up channel; a channel lost meanwhile is retried on the next one. */
  private async apply(operation: (channel: Channel) => Promise<unknown>, what: string): Promise<void> {
    await this.connected;
    for (let attempt = 1; ; attempt++) {
      let channel: Channel | undefined;
      try {
        channel = await this.channel.ready();
        await operation(channel);
        return;
      } catch (error) {
        const lost = channel !== undefined && this.dead.has(channel);
        if (!lost || attempt >= 5) throw this.topologyError(error, what, lost);
      }
    }
  }

  private topologyError(error: unknown, what: string, retriable = false): ConnectionError {
    const message = messageOf(error);
    const mismatch = queueTypeMismatchIn(message);
    const fix = mismatch ? queueTypeFix(mismatch) : 'if the queue exists with other arguments, delete it or match queueOptions';
    return new ConnectionError(
      ErrorCode.TOPOLOGY_FAILED,
      `Could not ${what} on queue "${this.spec.queue.name}": ${redactText(message)} (${fix})`,
      {
        cause: error,
        retriable,
      },
    );
  }
}
