import type { AmqpConnectionManager } from 'amqp-connection-manager';

/** The longest wait between two rounds of connect attempts over every URL. */
export const MAX_RECONNECT_DELAY_MS = 30_000;

/**
 * The wait before the next connect attempt after `failures` failed attempts
 * in a row over `urlCount` URLs tried in turn: `reconnectDelayMs` before the
 * next URL of a round; after the k-th round in which every URL failed,
 * `reconnectDelayMs × 2^(k-1)`, up to 30 s (never below `reconnectDelayMs`).
 * A lost node is replaced by the next one at once; a cluster that is down
 * is not hammered by every client at once.
 */
export function reconnectDelayAfter(failures: number, urlCount: number, reconnectDelayMs: number): number {
  if (failures === 0 || failures % urlCount !== 0) return reconnectDelayMs;
  const rounds = failures / urlCount;
  return Math.max(reconnectDelayMs, Math.min(MAX_RECONNECT_DELAY_MS, reconnectDelayMs * 2 ** Math.min(rounds - 1, 30)));
}

/**
 * Makes amqp-connection-manager back off between rounds of attempts (see
 * {@link reconnectDelayAfter}). It waits `reconnectTimeInSeconds` (a public
 * field) after each failure, read just after it emitted `connectFailed`: set
 * there. A connect sets it back, so a lost connection is retried after
 * `reconnectDelayMs`.
 */
export function backOffBetweenRounds(manager: AmqpConnectionManager, urlCount: number, reconnectDelayMs: number): void {
  let failures = 0;
  manager.on('connect', () => {
    failures = 0;
    manager.reconnectTimeInSeconds = reconnectDelayMs / 1000;
  });
  manager.on('connectFailed', () => {
    failures++;
    manager.reconnectTimeInSeconds = reconnectDelayAfter(failures, urlCount, reconnectDelayMs) / 1000;
  });
}
