import type { RetryPolicy } from '../core/retry-policy.js';

/** Options of one handler (`bus.handle(pattern, handler, options)`). */
export interface HandleOptions {
  /** Retries for this handler, instead of the bus's `retry`. */
  readonly retry?: RetryPolicy;
}

/** Options of `bus.close(options)`. */
export interface CloseOptions {
  /**
   * How long in-flight handlers may still run. Past it they are cancelled and
   * their deliveries rejected with requeue, so the broker redelivers them:
   * nothing is lost. The deadline bounds the whole close, the broker's part
   * included: past it, unconfirmed publishes reject with `CLOSED` and
   * connections are destroyed.
   * @default no limit (each handler is bounded by handlerTimeoutMs)
   */
  readonly timeoutMs?: number;
}
