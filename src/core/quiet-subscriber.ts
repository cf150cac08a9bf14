import { Observable, Subscriber } from 'rxjs';

/**
 * A Subscriber whose own ending never throws. rxjs runs an Observable's
 * teardown inside the `complete()` (or `error()`) call that ends it, and
 * throws an UnsubscriptionError there if the teardown throws: out of the
 * handler's own timer or socket callback, where nothing catches it and the
 * process exits. Handed to the handler's Observable as its subscriber, it
 * keeps that throw inside: the handler already completed (or errored), which
 * is what decides.
 */
class QuietSubscriber<T> extends Subscriber<T> {
  override complete(): void {
    try {
      super.complete();
    } catch {
      // The application's teardown threw after its Observable completed: the completion already counted.
    }
  }

  override error(error: unknown): void {
    try {
      super.error(error);
    } catch {
      // Likewise after an error: the error already counted.
    }
  }
}

/**
 * `source`, subscribed through a {@link QuietSubscriber}: its teardown cannot
 * throw out of its own completion, nor into the operators downstream. A throw
 * from an operator's unsubscribe stops rxjs's own cleanup half-way (`endWith`
 * and `concat` start their next source only after the unsubscribe returns):
 * the handler's completion was seen, but its run never ended, and the
 * delivery stayed unsettled until close gave up on it. So the quiet
 * subscriber is not a child of the downstream one, and once the source has
 * ended, unsubscribing it swallows what the application's teardown throws.
 * An unsubscription from outside before that (close past its deadline) still
 * throws to its caller, which logs it.
 */
export function quietTeardown<T>(source: Observable<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    let ended = false;
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- QuietSubscriber extends rxjs's Subscriber (deprecated as public API), the only way to wrap complete()/error()
    const quiet = new QuietSubscriber<T>({
      next: (value: T) => subscriber.next(value),
      error: (error: unknown) => {
        ended = true;
        subscriber.error(error);
      },
      complete: () => {
        ended = true;
        subscriber.complete();
      },
    });
    try {
      source.subscribe(quiet);
    } catch (error) {
      // A teardown added to an already finished subscriber runs (and throws) at once: that run has its outcome.
      if (!quiet.closed) subscriber.error(error);
    }
    return () => {
      if (!ended) return quiet.unsubscribe();
      try {
        quiet.unsubscribe();
      } catch {
        // The application's teardown threw after its Observable ended: that ending is the run's outcome.
      }
    };
  });
}
