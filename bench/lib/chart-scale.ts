/**
 * The y (and numeric x) scales of the scale run's charts: linear from zero,
 * or logarithmic when the values span more than {@link LOG_SPAN}×, with
 * round tick values. Pure functions; no DOM, no library.
 */

/** Above this max ÷ min a linear axis squeezes the small values flat: the axis goes logarithmic. */
export const LOG_SPAN = 20;

export interface Scale {
  readonly kind: 'linear' | 'log';
  /** Maps a value to 0..1 along the axis (values outside the domain fall outside). */
  position(value: number): number;
  readonly ticks: readonly number[];
}

/** A scale covering every finite value of `values` (positive ones only on a log scale). */
export function valueScale(values: readonly number[], forceLog?: boolean): Scale {
  const finite = values.filter((v) => Number.isFinite(v) && v >= 0);
  const positive = finite.filter((v) => v > 0);
  const max = Math.max(...finite, 0);
  const min = Math.min(...positive);
  const log = forceLog ?? (positive.length > 1 && max / min > LOG_SPAN);
  return log && positive.length > 0 ? logScale(min, max) : linearScale(max);
}

/** Linear from 0 to a round value at or above `max`, with about five ticks. */
export function linearScale(max: number): Scale {
  const step = niceStep(max > 0 ? max / 5 : 1);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks: number[] = [];
  for (let t = 0; t <= top + step / 2; t += step) ticks.push(roundTo(t, step));
  return { kind: 'linear', position: (v) => v / top, ticks };
}

/** Logarithmic from the power of ten at or below `min` to the one at or above `max`; 2 and 5 ticks when it spans two decades or less. */
export function logScale(min: number, max: number): Scale {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) {
    for (const m of hi - lo <= 2 ? [1, 2, 5] : [1]) {
      const t = m * 10 ** e;
      if (t <= 10 ** hi) ticks.push(roundTo(t, 10 ** Math.min(e, 0)));
    }
  }
  return { kind: 'log', position: (v) => (Math.log10(v) - lo) / (hi - lo), ticks };
}

/** Positions of numeric x values that grow geometrically (200 B … 1 MB, 1 … 1,000): evenly by their logarithm. */
export function logPositions(xs: readonly number[]): number[] {
  const lo = Math.log10(Math.min(...xs));
  const hi = Math.log10(Math.max(...xs));
  return xs.map((x) => (hi === lo ? 0.5 : (Math.log10(x) - lo) / (hi - lo)));
}

/** 1, 2 or 5 × a power of ten, at or above `raw`. */
export function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

/** `950`, `1k`, `2.5k`, `40k`, `1.2M`, `0.5`: short tick labels. */
export function shortNumber(v: number): string {
  const trim = (x: number) => String(Number(x.toPrecision(3)));
  if (Math.abs(v) >= 1e6) return `${trim(v / 1e6)}M`;
  if (Math.abs(v) >= 1e3) return `${trim(v / 1e3)}k`;
  return trim(v);
}

/** Removes float noise (0.30000000000000004) at the precision of `unit`. */
function roundTo(v: number, unit: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(unit)) + 1);
  return Number(v.toFixed(Math.min(digits, 12)));
}
