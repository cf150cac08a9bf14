/**
 * A handler's Observable whose teardown throws must still end its run: the delivery is settled by
 * what the Observable did (completed: ack; errored: retry or dead letter), never left unsettled.
 * rxjs stops its own cleanup half-way when an unsubscribe throws (`endWith`/`concat` start their next
 * source after it returns), so before the fix the run's completion was seen and lost: the delivery
 * hung until close() gave up on it at its deadline (30 s by default).
 */
import { Observable, endWith, firstValueFrom, ignoreElements, timeout } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EventBus, createEvent } from '../../src/index.js';
import { quietTeardown } from '../../src/core/quiet-subscriber.js';
import { uniqueName } from '../support/bus.js';

/** Ends (by `end`) after `delayMs`, or at once when undefined; its teardown throws. */
function throwingTeardown(end: 'complete' | 'error', delayMs?: number): Observable<void> {
  return new Observable<void>((subscriber) => {
    const finish = () => (end === 'complete' ? subscriber.complete() : subscriber.error(new Error('handler failed')));
    if (delayMs === undefined) finish();
    else setTimeout(finish, delayMs);
    return () => {
      throw new Error('teardown');
    };
  });
}

describe('handler - an Observable whose teardown throws', () => {
  for (const delayMs of [undefined, 5]) {
    const when = delayMs === undefined ? 'synchronously' : 'from a timer';
    it(`handler - completing ${when}, it still reaches the operators after it (endWith)`, async () => {
      const ended = quietTeardown(throwingTeardown('complete', delayMs)).pipe(ignoreElements(), endWith('ended'), timeout(2_000));
      await expect(firstValueFrom(ended)).resolves.toBe('ended');
    });

    it(`handler - erroring ${when}, its error reaches the subscriber`, async () => {
      const ended = quietTeardown(throwingTeardown('error', delayMs)).pipe(timeout(2_000));
      await expect(firstValueFrom(ended)).rejects.toThrow('handler failed');
    });
  }

  it('bus - deliveries whose handlers complete or fail that way are acked and retried, and close does not wait (memory)', async () => {
    const bus = await EventBus.connect({ url: `memory://${uniqueName('quiet')}`, queue: 'q', retry: { attempts: 1, delaysMs: 10 } });
    try {
      bus.handle('order.created', () => throwingTeardown('complete', 5));
      bus.handle('order.paid', () => throwingTeardown('error', 5));
      await bus.ready();
      await bus.publish(createEvent({ domain: 'order', action: 'created', data: {} }));
      await bus.publish(createEvent({ domain: 'order', action: 'paid', data: {} }));
      const deadline = Date.now() + 5_000;
      while ((bus.stats().acked < 1 || bus.stats().deadLettered < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(bus.stats()).toMatchObject({ acked: 1, deadLettered: 1 });
    } finally {
      const started = Date.now();
      await bus.close({ timeoutMs: 10_000 });
      expect(Date.now() - started).toBeLessThan(5_000);
    }
  });
});
