import { describe, expect, it } from 'vitest';
import { likelyLimit } from '../../bench/lib/likely-limit.js';
import type { ClientFigures } from '../../bench/lib/scale-report.js';

// The scale tables' "likely limit" column: which side a point's own figures say saturated.

const figures = (over: Partial<ClientFigures>): ClientFigures => ({ rounds: 3, failed: 0, notes: [], cpuUsPerMsg: 100, gcUsPerMsg: 5, loopBusy: 0.5, brokerCores: 0.4, ...over });

describe('likelyLimit', () => {
  it('likelyLimit - a saturated event loop is the client, GC when its pauses are a quarter of its CPU or more', () => {
    expect(likelyLimit(figures({ loopBusy: 0.95 }))).toBe('client');
    expect(likelyLimit(figures({ loopBusy: 0.95, gcUsPerMsg: 30 }))).toBe('client (GC)');
  });

  it('likelyLimit - an idle loop with the broker near a core is the broker', () => {
    expect(likelyLimit(figures({ loopBusy: 0.4, brokerCores: 0.95 }))).toBe('broker');
  });

  it('likelyLimit - neither saturated is neither (round trips, or shared cores); no loop figure, no verdict', () => {
    expect(likelyLimit(figures({ loopBusy: 0.3, brokerCores: 0.3 }))).toBe('neither');
    expect(likelyLimit(figures({ loopBusy: undefined }))).toBe('');
  });
});
