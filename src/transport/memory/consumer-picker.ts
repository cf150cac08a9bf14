/** What the picker needs of a consumer. */
export interface Prefetched {
  hasCapacity(): boolean;
}

/**
 * The index of the consumer to hand the next message to: round-robin from
 * `from`, skipping consumers at their prefetch (RabbitMQ's dispatch), or -1
 * when every one is full.
 *
 * With `x-single-active-consumer`, only the earliest of the consumers still
 * registered gets messages; the others wait. When it goes (cancelled, its
 * connection closed, its unacked deliveries given back to the head), the next
 * takes over, as a RabbitMQ quorum queue does. (A RabbitMQ 3.10 classic queue
 * whose active consumer is cancelled while it holds unacked deliveries hands
 * over only when that consumer's channel closes; a bus never does that: its
 * close keeps the consumer until the channel goes.)
 */
export function pickConsumerIndex(consumers: readonly Prefetched[], from: number, singleActive: boolean): number {
  if (singleActive) return consumers[0]?.hasCapacity() === true ? 0 : -1;
  const count = consumers.length;
  for (let i = 0; i < count; i++) {
    const index = (from + i) % count;
    if (consumers[index]?.hasCapacity() === true) return index;
  }
  return -1;
}
