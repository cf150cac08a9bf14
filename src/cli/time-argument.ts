import { InvalidArgumentError } from 'commander';

const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A commander argument parser for a point in time: an ISO-8601 time
 * (`2026-12-04T08:00:00Z`, `2026-12-04`), or a duration ago (`90s`, `15m`,
 * `1h`, `1.5d`, `2w`). Anything else is commander's usage error (exit 2).
 */
export function timeArgument(now: () => number = Date.now): (text: string) => Date {
  return (text) => {
    const relative = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
    const time = relative ? now() - Number(relative[1]) * (UNIT_MS[relative[2] ?? ''] ?? NaN) : Date.parse(text);
    if (!Number.isFinite(time))
      throw new InvalidArgumentError('Give an ISO-8601 time (2026-12-04T08:00:00Z) or a duration ago (30m, 1h, 2d).');
    return new Date(time);
  };
}
