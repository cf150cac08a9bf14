import { describe, expect, it } from 'vitest';
import type { DeadLetterEntry } from '../../src/index.js';
import { StatsTally } from '../../src/dead-letters/dead-letter-stats.js';

function entry(error: string, patterns: string[], routingKey: string | undefined, at: string | undefined): DeadLetterEntry {
  const time = at === undefined ? undefined : new Date(at);
  return {
    position: 0,
    messageId: undefined,
    event: undefined,
    badBody: undefined,
    body: Buffer.alloc(0),
    routingKey,
    source: 'rx-pubsub',
    error,
    patterns,
    attempts: 1,
    history: [],
    replayed: 0,
    firstFailedAt: time,
    lastFailedAt: time,
    properties: {},
  };
}

describe('dead-letter stats', () => {
  it('dead-letter stats - groups by error, by each failed pattern and by routing key, largest first, with oldest and newest', () => {
    const tally = new StatsTally();
    tally.add(entry('db down', ['order.*'], 'order.created', '2026-01-05T08:00:00Z'), true);
    tally.add(entry('db down', ['order.*', '*.created'], 'order.created', '2026-01-05T09:00:00Z'), true);
    tally.add(entry('smtp down', ['*.created'], 'user.created', '2026-01-05T07:00:00Z'), true);
    tally.add(entry('body is not JSON', [], undefined, undefined), true);
    tally.add(entry('ignored', ['x'], 'x.y', '2020-01-01T00:00:00Z'), false);
    const stats = tally.result();
    expect(stats).toMatchObject({
      examined: 5,
      total: 4,
      oldest: new Date('2026-01-05T07:00:00Z'),
      newest: new Date('2026-01-05T09:00:00Z'),
    });
    expect(stats.byError.map((g) => [g.key, g.count])).toEqual([
      ['db down', 2],
      ['body is not JSON', 1],
      ['smtp down', 1],
    ]);
    expect(stats.byError[0]).toMatchObject({ oldest: new Date('2026-01-05T08:00:00Z'), newest: new Date('2026-01-05T09:00:00Z') });
    expect(stats.byError[1]).toMatchObject({ oldest: undefined, newest: undefined });
    expect(stats.byPattern.map((g) => [g.key, g.count])).toEqual([
      ['*.created', 2],
      ['order.*', 2],
      ['', 1],
    ]);
    expect(stats.byRoutingKey.map((g) => [g.key, g.count])).toEqual([
      ['order.created', 2],
      ['', 1],
      ['user.created', 1],
    ]);
  });

  it('dead-letter stats - nothing matching: zero, no times, no groups', () => {
    const tally = new StatsTally();
    tally.add(entry('db down', [], 'a.b', '2026-01-05T08:00:00Z'), false);
    expect(tally.result()).toEqual({
      examined: 1,
      total: 0,
      oldest: undefined,
      newest: undefined,
      byError: [],
      byPattern: [],
      byRoutingKey: [],
    });
  });
});
