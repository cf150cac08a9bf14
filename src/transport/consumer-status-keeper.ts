import { BehaviorSubject, distinctUntilChanged, type Observable } from 'rxjs';
import type { RxPubsubError } from '../errors.js';
import type { ConnectionState, ConsumerStatus } from './transport.js';

/** A consumer's (or the AMQP publisher's) {@link ConsumerStatus}, kept the same way on every transport. */
export class ConsumerStatusKeeper {
  private readonly subject = new BehaviorSubject<ConsumerStatus>({ status: 'starting' });
  /** Replays the current status; emits each change of status once (a new error while failing is not a change). */
  readonly status$: Observable<ConsumerStatus> = this.subject.pipe(distinctUntilChanged((a, b) => a.status === b.status));

  get current(): ConsumerStatus {
    return this.subject.value;
  }

  consuming(): void {
    if (!this.subject.closed) this.subject.next({ status: 'consuming' });
  }

  /**
   * A consuming consumer lost its broker consumer (a `basic.cancel`, a channel or connection closed
   * under it) and is establishing it again. A failing one stays failing: it has no consumer anyway.
   */
  restarting(): void {
    if (!this.subject.closed && this.subject.value.status === 'consuming') this.subject.next({ status: 'starting' });
  }

  /** `since` stays the time of the first failure in a row. */
  failing(error: RxPubsubError): void {
    if (this.subject.closed || this.subject.value.status === 'failing') return;
    this.subject.next({ status: 'failing', error, since: Date.now() });
  }

  stopped(): void {
    if (this.subject.closed) return;
    this.subject.next({ status: 'stopped' });
    this.subject.complete();
  }
}

/**
 * A transport's state, given its consumers': `connected` becomes `degraded`
 * while one of them is failing. A connection that is down or blocked says
 * more than a failing consumer, and stays as it is.
 */
export function withConsumers(state: ConnectionState, consumers: readonly ConsumerStatus[]): ConnectionState {
  if (state.status !== 'connected') return state;
  for (const consumer of consumers) {
    if (consumer.status === 'failing') return { status: 'degraded', reason: `${consumer.error.code}: ${consumer.error.message}` };
  }
  return state;
}
