import type { Settlement } from '../core/outcome.js';

/**
 * Counters since the bus connected, from `bus.stats()`: what reached the
 * broker, not what was attempted. Each delivery counts once, under the
 * settlement the broker got.
 */
export interface BusStats {
  /** Events the broker confirmed (a publish that failed or was refused is not counted). */
  readonly published: number;
  /** Deliveries every matching handler succeeded on. */
  readonly acked: number;
  /** Deliveries no handler matched (acked). */
  readonly unhandled: number;
  /** Deliveries sent to a delay queue for another attempt. */
  readonly retried: number;
  /** Deliveries copied to the dead-letter queue (`Q.dlq`): a handler failed for good, the body was not an event, or it was redelivered too often. */
  readonly deadLettered: number;
  /**
   * Settlements the broker never got: the delivery's channel had died (the
   * broker redelivers it), or its copy to Q.dlq / a delay queue failed (it
   * was rejected to the broker, which dead-letters it). Not counted above.
   */
  readonly dropped: number;
  /** Times the delivery pipeline failed and was started again (each also logged at error level). */
  readonly pipelineRestarts: number;
}

/** The counters behind {@link BusStats}: what counts is what reached the broker. */
export class BusCounters {
  private readonly counts = { published: 0, acked: 0, unhandled: 0, retried: 0, deadLettered: 0, dropped: 0, pipelineRestarts: 0 };

  /** Bound, so a publish's `then` takes it as is: no closure per event. */
  readonly published = (): void => {
    this.counts.published++;
  };

  /** Once per settled delivery: an action the broker never got is `dropped`, whatever the outcome. */
  settled({ outcome, sent }: Settlement): void {
    if (!sent) this.counts.dropped++;
    else if (outcome.kind === 'ack') this.counts.acked++;
    else if (outcome.kind === 'unhandled') this.counts.unhandled++;
    else if (outcome.kind === 'retry') this.counts.retried++;
    else this.counts.deadLettered++;
  }

  pipelineRestarted(): void {
    this.counts.pipelineRestarts++;
  }

  snapshot(): BusStats {
    return { ...this.counts };
  }
}
