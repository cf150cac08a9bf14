import { Observable, take, takeUntil } from 'rxjs';
import type { Delivery } from '../transport/transport.js';

/**
 * A consumer's deliveries until `stop$` emits. `takeUntil` would unsubscribe
 * at once, cancelling the broker consumer; on a single-active-consumer queue
 * the broker then activates a standby right away, which would handle the
 * next events while this bus still runs the earlier ones. With
 * `keepConsumer`, the broker consumer stays until the transport closes its
 * channel: deliveries that arrive after the stop are left unsettled, and the
 * close returns them to the queue's head, for the standby activated then.
 */
export function untilStopped(deliveries$: Observable<Delivery>, stop$: Observable<void>, keepConsumer: boolean): Observable<Delivery> {
  if (!keepConsumer) return deliveries$.pipe(takeUntil(stop$));
  return new Observable<Delivery>((subscriber) => {
    let stopped = false;
    const consumer = deliveries$.subscribe({
      next: (delivery) => {
        if (!stopped) subscriber.next(delivery);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
    const stopping = stop$.pipe(take(1)).subscribe(() => {
      stopped = true;
      subscriber.complete();
    });
    return () => {
      stopping.unsubscribe();
      // Stopped: the transport's close ends the consumer (and completes deliveries$). Otherwise cancel it now.
      if (!stopped) consumer.unsubscribe();
    };
  });
}
