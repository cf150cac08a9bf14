import { bindingKeysOf, type Pattern } from '../blocks.js';
import type { QueueBinding } from './management-api.js';

/** What `bindings --keep` decides about one binding. */
export interface BindingDecision {
  readonly binding: QueueBinding;
  /** The kept patterns whose narrowest keys include this binding's key; empty: none needs it. */
  readonly neededBy: readonly string[];
}

/**
 * Which of a queue's bindings the kept patterns need. A bus binds each
 * pattern with its narrowest AMQP keys (`bindingKeysOf`: `order.*` →
 * `order.#`), so a binding is needed exactly when its key is one of those of
 * a kept pattern; any other one routes events no kept handler wants (left
 * behind by a handler that was removed from the code: bindings belong to the
 * queue, and no bus removes them on its own).
 */
export function planBindings(bindings: readonly QueueBinding[], keep: readonly Pattern[]): BindingDecision[] {
  const keys = keep.map((pattern) => ({ source: pattern.source, keys: new Set(bindingKeysOf(pattern.source)) }));
  return bindings.map((binding) => ({
    binding,
    neededBy: keys.filter((pattern) => pattern.keys.has(binding.routingKey)).map((pattern) => pattern.source),
  }));
}
