import { brokerDeliveryCountOf } from '../core/headers.js';
import type { Delivery } from '../transport/transport.js';

const LIMIT = 10_000;

/**
 * Earlier deliveries of a message. Quorum queues count them on the broker
 * (`x-delivery-count`), which survives a crashing consumer; classic queues
 * only flag `redelivered`, so this process counts those per message id.
 */
export class RedeliveryCounter {
  private readonly counts = new Map<string, number>();

  /** `brokerCounts`: the queue is a quorum queue, whose broker sets `x-delivery-count`; on others it can only be a publisher's. */
  constructor(private readonly brokerCounts: boolean) {}

  count(delivery: Delivery): number {
    // A publisher may send any header: the broker's count means something only on a redelivery from a quorum queue.
    if (!delivery.redelivered) return 0;
    const counted = this.brokerCounts ? brokerDeliveryCountOf(delivery.properties) : undefined;
    if (counted !== undefined) return counted;
    const id = delivery.properties.messageId;
    if (id === undefined) return 1;
    const count = (this.counts.get(id) ?? 0) + 1;
    if (!this.counts.has(id) && this.counts.size >= LIMIT) this.counts.delete(this.counts.keys().next().value as string);
    this.counts.set(id, count);
    return count;
  }

  /** The message was settled: it will not come back. */
  forget(delivery: Delivery): void {
    if (this.counts.size === 0) return;
    const id = delivery.properties.messageId;
    if (id !== undefined) this.counts.delete(id);
  }
}
