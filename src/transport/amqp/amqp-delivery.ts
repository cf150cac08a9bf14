import type { ConsumeMessage } from 'amqplib';
import type { Delivery, MessageProperties } from '../transport.js';
import type { AckBatcher } from './ack-batcher.js';

/**
 * A delivery bound to the channel that delivered it. Its delivery tag means
 * nothing on any other channel: acking it on a new channel would be a channel
 * error (PRECONDITION_FAILED), so once its channel is gone settling is dropped
 * and the broker redelivers the message.
 */
export class AmqpDelivery implements Delivery {
  private settled = false;

  constructor(
    private readonly message: ConsumeMessage,
    /** Acks of the delivering channel, coalesced; it knows whether that channel is open (no closure per delivery). */
    private readonly acks: AckBatcher,
  ) {}

  get exchange(): string {
    return this.message.fields.exchange;
  }

  get routingKey(): string {
    return this.message.fields.routingKey;
  }

  get body(): Buffer {
    return this.message.content;
  }

  get properties(): MessageProperties {
    return this.message.properties;
  }

  get redelivered(): boolean {
    return this.message.fields.redelivered;
  }

  get stale(): boolean {
    return this.settled || !this.acks.isOpen();
  }

  ack(): boolean {
    return this.settle(() => this.acks.ack(this.message.fields.deliveryTag));
  }

  nack(requeue: boolean): boolean {
    return this.settle(() => this.acks.nack(this.message, requeue));
  }

  private settle(send: () => void): boolean {
    if (this.settled) return false;
    this.settled = true;
    if (!this.acks.isOpen()) return false;
    try {
      send();
      return true;
    } catch {
      return false; // closed between the check and the write: same as stale
    }
  }
}
