import type { MemoryQueue } from './memory-queue.js';
import { topicMatches } from './topic-matches.js';

const ROUTE_CACHE_LIMIT = 10_000;

/**
 * A durable topic exchange: bindings, and the queues each routing key reaches,
 * cached per key (dropped on every binding change) so that routing a message
 * is one map lookup.
 */
export class TopicExchange {
  /** @internal Mutate only through bind/unbind/removeQueue, which drop the cache. */
  readonly bindings: { readonly key: string; readonly queue: MemoryQueue }[] = [];
  private routes = new Map<string, readonly MemoryQueue[]>();

  /** Each bound queue once, however many of its keys match. */
  match(routingKey: string): readonly MemoryQueue[] {
    let queues = this.routes.get(routingKey);
    if (queues === undefined) {
      const matched = new Set<MemoryQueue>();
      for (const binding of this.bindings) if (topicMatches(binding.key, routingKey)) matched.add(binding.queue);
      queues = [...matched];
      if (this.routes.size >= ROUTE_CACHE_LIMIT) this.routes = new Map();
      this.routes.set(routingKey, queues);
    }
    return queues;
  }

  /** Idempotent. */
  bind(queue: MemoryQueue, key: string): void {
    if (this.bindings.some((binding) => binding.queue === queue && binding.key === key)) return;
    this.bindings.push({ key, queue });
    this.routes.clear();
  }

  unbind(queue: MemoryQueue, key: string): boolean {
    const index = this.bindings.findIndex((binding) => binding.queue === queue && binding.key === key);
    if (index < 0) return false;
    this.bindings.splice(index, 1);
    this.routes.clear();
    return true;
  }

  removeQueue(queue: MemoryQueue): void {
    const before = this.bindings.length;
    for (let i = before - 1; i >= 0; i--) if (this.bindings[i]?.queue === queue) this.bindings.splice(i, 1);
    if (this.bindings.length !== before) this.routes.clear();
  }
}
