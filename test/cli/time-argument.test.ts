import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { timeArgument } from '../../src/cli/time-argument.js';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const parse = timeArgument(() => NOW);

describe('cli time argument', () => {
  it.each([
    ['2026-12-04T08:00:00Z', '2026-12-04T08:00:00.000Z'],
    ['2026-12-03', '2026-12-03T00:00:00.000Z'],
    ['90s', '2026-12-04T11:58:30.000Z'],
    ['15m', '2026-12-04T11:45:00.000Z'],
    ['1h', '2026-12-04T11:00:00.000Z'],
    ['1.5d', '2026-12-03T00:00:00.000Z'],
    ['2w', '2026-11-20T12:00:00.000Z'],
  ])('cli time argument - %s is %s', (text, iso) => {
    expect(parse(text).toISOString()).toBe(iso);
  });

  it.each(['yesterday', '1y', '-1h', 'h', ''])('cli time argument - %j is a usage error naming both forms', (text) => {
    expect(() => parse(text)).toThrow(InvalidArgumentError);
    expect(() => parse(text)).toThrow(/ISO-8601 time .* or a duration ago/);
  });
});
