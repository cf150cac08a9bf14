import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { type QueueSample, queuesOf, statusRows, withRates } from '../../src/cli/queue-status.js';

const sample = (name: string, messages: number | undefined, at: number): QueueSample => ({
  name,
  role: 'queue',
  exists: messages !== undefined,
  messages,
  consumers: messages === undefined ? undefined : 1,
  at,
});

describe('cli status', () => {
  it('cli status - the queues of Q: Q, Q.dlq, then Q.retry.<ms> by delay, each once', () => {
    expect(queuesOf('billing', [5000, 1000, 5000])).toEqual([
      { name: 'billing', role: 'queue' },
      { name: 'billing.dlq', role: 'dead letters' },
      { name: 'billing.retry.1000', role: 'retry 1000 ms' },
      { name: 'billing.retry.5000', role: 'retry 5000 ms' },
    ]);
  });

  it('cli status - a rate is the change of depth per second between two samples; none for a first sample or an absent queue', () => {
    const first = [sample('q', 10, 0), sample('q.dlq', 4, 0), sample('q.retry.1000', undefined, 0)];
    const second = [sample('q', 30, 2_000), sample('q.dlq', 1, 2_000), sample('q.retry.1000', undefined, 2_000)];
    expect(withRates(undefined, first).map((s) => s.ratePerSecond)).toEqual([undefined, undefined, undefined]);
    expect(withRates(first, second).map((s) => s.ratePerSecond)).toEqual([10, -1.5, undefined]);
  });

  it('cli status - a queue that appears between two samples has no rate yet', () => {
    expect(withRates([sample('q', undefined, 0)], [sample('q', 5, 1_000)])[0]?.ratePerSecond).toBeUndefined();
  });

  it('cli status - rows: an absent queue says so; a growing one shows +rate', () => {
    const rows = statusRows(
      withRates([sample('q', 0, 0)], [sample('q', 4, 1_000), sample('q.retry.1000', undefined, 1_000)]),
      pc.createColors(false),
    );
    expect(rows).toEqual([
      ['q', 'queue', '4', '1', '+4'],
      ['q.retry.1000', 'queue', 'absent', '-', '-'],
    ]);
  });
});
