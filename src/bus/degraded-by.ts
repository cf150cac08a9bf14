import { BehaviorSubject, combineLatest, distinctUntilChanged, map, type Observable } from 'rxjs';
import type { ConnectionState } from '../transport/transport.js';

/**
 * A problem the connection's state cannot show (the delivery pipeline
 * stopped), laid over it: while `problem` holds a reason and the connection is
 * up, the state is `degraded` with that reason; otherwise the connection's.
 */
export class DegradedBy {
  private readonly problem = new BehaviorSubject<string | undefined>(undefined);

  /** `connection$` with the current problem laid over it. */
  over(connection$: Observable<ConnectionState>): Observable<ConnectionState> {
    return combineLatest([connection$, this.problem]).pipe(
      map(([state, reason]): ConnectionState =>
        reason !== undefined && state.status === 'connected' ? { status: 'degraded', reason } : state,
      ),
      distinctUntilChanged((a, b) => a.status === b.status && reasonOf(a) === reasonOf(b)),
    );
  }

  report(reason: string): void {
    this.problem.next(reason);
  }

  clear(): void {
    if (this.problem.value !== undefined) this.problem.next(undefined);
  }

  /** Once the connection's state completes too, the laid-over state completes. */
  complete(): void {
    this.problem.complete();
  }
}

function reasonOf(state: ConnectionState): string | undefined {
  return 'reason' in state ? state.reason : undefined;
}
