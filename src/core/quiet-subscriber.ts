import { Observable, Subscriber } from 'rxjs';

/**
 * A Subscriber whose own ending never throws. rxjs runs an Observable's
 * teardown inside the `complete()` (or `error()`) call that ends it, and
 * throws an UnsubscriptionError there if the teardown throws: out of the
 * handler's own timer or socket callback, where nothing catches it and the
 * process exits. Handed to the handler's Observable as its subscriber, it
 * keeps that throw inside: the handler already completed (or errored), which
 * is what decides. An unsubscription from outside (close past its deadline)
 * still throws to its caller, which logs it.
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

/** `source`, subscribed through a {@link QuietSubscriber}: its teardown cannot throw out of its own completion. */
export function quietTeardown<T>(source: Observable<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- QuietSubscriber extends rxjs's Subscriber (deprecated as public API), the only way to wrap complete()/error()
    const quiet = new QuietSubscriber<T>(subscriber);
    source.subscribe(quiet);
    return quiet;
  });
}
