import type { Channel, Message } from 'amqplib';

const DONE = 1; // work finished, ack not yet sent
const GONE = 2; // acked or nacked on its own already

/**
 * Coalesces the acks of one channel. Acks requested during one turn of the
 * event loop are sent at its end: the run of finished deliveries at the head
 * of the channel's delivery order goes as one `ack(multiple)`, and finished
 * deliveries behind an unfinished one are acked singly, so a slow handler
 * never holds back the others' acks (they would keep prefetch slots busy).
 * An ack never covers a delivery whose work is unfinished, and never leaves
 * its channel: a batcher belongs to one channel.
 */
export class AckBatcher {
  /** Delivery tags in delivery order; the head is the oldest unsettled one. */
  private order: number[] = [];
  private head = 0;
  private readonly states = new Map<number, number>();
  private scheduled = false;

  constructor(
    private readonly channel: Channel,
    /** Whether the channel is still open: its deliveries' settling is dropped once it is not. */
    readonly isOpen: () => boolean,
  ) {}

  /** Records a new delivery, in the order the broker sent it. */
  delivered(tag: number): void {
    this.order.push(tag);
  }

  ack(tag: number): void {
    this.states.set(tag, DONE);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  nack(message: Message, requeue: boolean): void {
    this.channel.nack(message, false, requeue);
    this.states.set(message.fields.deliveryTag, GONE);
  }

  /** Sends what is pending now (before the channel is closed on purpose). */
  flush(): void {
    this.scheduled = false;
    if (!this.isOpen()) return;
    try {
      this.sendAcks();
    } catch {
      // The channel is closing under us: the broker redelivers what was not acked.
    }
  }

  private sendAcks(): void {
    let last = -1;
    let acked = 0;
    while (this.head < this.order.length) {
      const tag = this.order[this.head] as number;
      const state = this.states.get(tag);
      if (state === undefined) break;
      if (state === DONE) {
        last = tag;
        acked++;
      }
      this.states.delete(tag);
      this.head++;
    }
    if (last !== -1) this.channel.ack(tagged(last), acked > 1);
    for (const [tag, state] of this.states) {
      if (state !== DONE) continue;
      this.channel.ack(tagged(tag), false);
      this.states.set(tag, GONE);
    }
    if (this.head > 1_024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}

// amqplib reads only the delivery tag of the message it acks.
function tagged(deliveryTag: number): Message {
  return { fields: { deliveryTag } } as Message;
}
