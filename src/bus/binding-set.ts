import { ConfigError, ErrorCode } from '../errors.js';
import type { QueueConsumer } from '../transport/transport.js';

/**
 * The bindings of the service queue this bus added, with how many local
 * handlers and streams use each key. A key is bound when its first local user
 * comes. When its last local user goes, it stays bound: the queue may be
 * shared by other instances of the service, whose handlers need it too (the
 * broker keeps one binding per key, not one per consumer). Only a queue
 * exclusive to this bus (`exclusiveQueue`) is unbound then. Tracks the broker
 * operations still under way, for `ready()`.
 */
export class BindingSet {
  private readonly counts = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();
  private readonly failures: unknown[] = [];

  constructor(
    private readonly consumer: QueueConsumer,
    private readonly exclusiveQueue: boolean,
  ) {}

  add(keys: readonly string[]): void {
    for (const key of keys) {
      const count = this.counts.get(key) ?? 0;
      this.counts.set(key, count + 1);
      if (count === 0) this.track(this.consumer.bind(key));
    }
  }

  /** A local user of `keys` is gone. */
  release(keys: readonly string[]): void {
    for (const key of keys) {
      const count = this.counts.get(key) ?? 0;
      if (count > 1) {
        this.counts.set(key, count - 1);
        continue;
      }
      this.counts.delete(key);
      if (count === 1 && this.exclusiveQueue) this.track(this.consumer.unbind(key));
    }
  }

  /**
   * Removes `keys` from the queue on the broker, for every instance sharing it.
   * @throws {ConfigError} `INVALID_ARGUMENT` while a local handler or stream still uses one of them.
   */
  unbind(keys: readonly string[], pattern: string): Promise<void> {
    const used = keys.filter((key) => this.counts.has(key));
    if (used.length > 0) {
      throw new ConfigError(
        ErrorCode.INVALID_ARGUMENT,
        `unbind("${pattern}"): binding ${used.map((k) => `"${k}"`).join(', ')} is still used by a handler or on$ stream of this bus; unsubscribe them first`,
      );
    }
    return Promise.all(keys.map((key) => this.consumer.unbind(key))).then(() => undefined);
  }

  /** Resolves when every operation started so far is done; rejects with the first that failed since the last call. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    const failure = this.failures.shift();
    this.failures.length = 0;
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows a binding's failure as it came
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
