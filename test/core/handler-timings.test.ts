/**
 * Settlements carry each handler's timing: pattern, duration, failed. In
 * virtual time (marbles) the durations are exact, in frames; on a real bus
 * they are performance.now() milliseconds.
 */
import { firstValueFrom, NEVER, of } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { retryOf } from '../../src/bus/dead-letter.js';
import type { Failed } from '../../src/core/outcome.js';
import { testBus } from '../../src/testing/index.js';
import { comeBack, harness, marbles, recordingDelivery } from '../support/marbles.js';
import { orderEvent, teardown } from '../support/rig.js';

describe('handler timings', () => {
  it(
    'handler timings - each handler\'s duration in frames, in registration order, failed or not',
    marbles((m) => {
      const h = harness(m.scheduler, { handlerTimeoutMs: 10 });
      h.registry.add('order.*', { handler: () => m.cold('-----x|') });
      h.registry.add('*.created', { handler: () => undefined });
      h.registry.add('order.created', { handler: () => m.cold('--#', {}, new Error('db down')) });
      h.registry.add('*', { handler: () => NEVER });
      m.expect(h.run(m.cold('a|', { a: recordingDelivery('order.created', 'e1') }))).toBeObservable('----------(d|)');
      m.flush();
      expect(h.settlements[0]?.handlers).toEqual([
        { pattern: 'order.*', durationMs: 6, failed: false },
        { pattern: '*.created', durationMs: 0, failed: false },
        { pattern: 'order.created', durationMs: 2, failed: true },
        { pattern: '*', durationMs: 10, failed: true }, // timed out: the timeout's time
      ]);
    }),
  );

  it(
    'handler timings - none for an unhandled delivery or a bad message',
    marbles((m) => {
      const h = harness(m.scheduler);
      h.registry.add('order.*', { handler: () => undefined });
      const deliveries = m.cold('(ab|)', {
        a: recordingDelivery('payment.refunded', 'u1'),
        b: recordingDelivery('order.created', 'bad', { rawBody: '{not json' }),
      });
      m.expect(h.run(deliveries)).toBeObservable('(ud|)');
      m.flush();
      expect(h.settlements.map((s) => s.handlers)).toEqual([[], []]);
    }),
  );

  it(
    'handler timings - a retried delivery lists only the handlers it ran again',
    marbles((m) => {
      const h = harness(m.scheduler);
      h.registry.add('order.*', { handler: () => m.cold('---|') });
      h.registry.add('*.created', { handler: () => undefined });
      const failure: Failed = { attempt: 1, reason: 'order.*: db down', failures: [{ pattern: 'order.*', error: new Error('db down') }] };
      const back = comeBack(retryOf(recordingDelivery('order.created', 'e1'), 'orders.retry.1000', failure, ['order.*'], 1_000));
      m.expect(h.run(m.cold('a|', { a: back }))).toBeObservable('---(a|)');
      m.flush();
      expect(h.settlements[0]?.handlers).toEqual([{ pattern: 'order.*', durationMs: 3, failed: false }]);
    }),
  );

  it('handler timings - synchronous handlers cost one clock read each, plus one per delivery', () => {
    const h = harness(undefined);
    for (const pattern of ['order.*', '*.created', 'order.created']) h.registry.add(pattern, { handler: () => undefined });
    const now = vi.spyOn(performance, 'now');
    try {
      h.run(of(recordingDelivery('order.created', 'e1'))).subscribe();
      expect(now).toHaveBeenCalledTimes(4);
    } finally {
      now.mockRestore();
    }
    const [a, b, c] = h.settlements[0]?.handlers ?? [];
    for (const timing of [a, b, c]) expect(timing?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('handler timings - on a bus, synchronous and asynchronous handlers are measured in milliseconds', async () => {
    const bus = await testBus({ queue: 'timed' });
    teardown(() => bus.close());
    bus.handle('order.*', () => {
      const until = performance.now() + 5;
      while (performance.now() < until); // busy for 5 ms: a synchronous handler is measured too
    });
    bus.handle('*.created', () => new Promise((resolve) => setTimeout(resolve, 30)));
    await bus.ready();
    const settled = firstValueFrom(bus.settlements$);
    await bus.publish(orderEvent());
    const [sync, async] = (await settled).handlers;
    expect(sync).toMatchObject({ pattern: 'order.*', failed: false });
    expect(sync?.durationMs).toBeGreaterThanOrEqual(5);
    expect(async).toMatchObject({ pattern: '*.created', failed: false });
    expect(async?.durationMs).toBeGreaterThanOrEqual(25); // timers may fire a little early on some platforms
    expect(async?.durationMs).toBeLessThan(10_000);
  });
});
