import type { QueueConsumer } from '../transport/transport.js';

/**
 * Reference-counted bindings of the service queue: a key is bound when the
 * first handler or stream needs it and unbound when the last one goes.
 * Tracks the broker operations still under way, for `ready()`.
 */
export class BindingSet {
  private readonly counts = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();
  private readonly failures: unknown[] = [];

  constructor(private readonly consumer: QueueConsumer) {}

  add(keys: readonly string[]): void {
    for (const key of keys) {
      const count = this.counts.get(key) ?? 0;
      this.counts.set(key, count + 1);
      if (count === 0) this.track(this.consumer.bind(key));
    }
  }

  remove(keys: readonly string[]): void {
    for (const key of keys) {
      const count = this.counts.get(key) ?? 0;
      if (count <= 1) {
        this.counts.delete(key);
        if (count === 1) this.track(this.consumer.unbind(key));
      } else {
        this.counts.set(key, count - 1);
      }
    }
  }

  /** Resolves when every operation started so far is done; rejects with the first that failed since the last call. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    const failure = this.failures.shift();
    this.failures.length = 0;
    if (failure !== undefined) throw failure;
  }

  private track(operation: Promise<void>): void {
    const tracked = operation.then(
      () => void this.pending.delete(tracked),
      (error: unknown) => {
        this.pending.delete(tracked);
        this.failures.push(error);
      },
    );
    this.pending.add(tracked);
  }
}
