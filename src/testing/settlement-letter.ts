import type { Outcome, Settlement } from '../core/outcome.js';

/**
 * The letters settlements are drawn with in marble diagrams.
 *
 * | letter | outcome       | the bus...                                 |
 * |--------|---------------|--------------------------------------------|
 * | `a`    | `ack`         | acked: every matching handler succeeded    |
 * | `u`    | `unhandled`   | acked: no handler matched                  |
 * | `r`    | `retry`       | copied to `Q.retry.<ms>`, then acked       |
 * | `d`    | `dead-letter` | copied to `Q.dlq` with the reason, then acked |
 */
export const SettlementLetter = {
  /** Acked: every matching handler succeeded. */
  ack: 'a',
  /** Acked: no handler matched. */
  unhandled: 'u',
  /** Copied to a delay queue for another attempt, then acked. */
  retry: 'r',
  /** Copied to `Q.dlq` with the reason, then acked. */
  'dead-letter': 'd',
} as const satisfies Record<Outcome['kind'], string>;

/** `'a' | 'u' | 'r' | 'd'`. */
export type SettlementLetter = (typeof SettlementLetter)[keyof typeof SettlementLetter];

/**
 * The marble letter of a settlement (or of its outcome).
 *
 * @example
 * bus.settlements$.pipe(map(settlementLetter)); // Observable<'a' | 'u' | 'r' | 'd'>
 */
export function settlementLetter(settled: Settlement | Outcome): SettlementLetter {
  return SettlementLetter['outcome' in settled ? settled.outcome.kind : settled.kind];
}
