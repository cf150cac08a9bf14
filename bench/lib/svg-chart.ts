import { logPositions, type Scale, shortNumber, valueScale } from './chart-scale.js';

/**
 * A small chart as a standalone SVG document, for the scale run's results:
 * a grid of panels sharing one x axis (numeric on a log scale, drawn as
 * lines with markers; or named categories, drawn as grouped bars), each
 * panel with its own y axis (linear from zero, or log when its values span
 * more than 20×), a legend and a title. A pure function of its input: no
 * chart library, no DOM; the output renders the same on GitHub, in a
 * browser, or through rsvg/ImageMagick.
 */

export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  /** Drawn dashed (lines) or pale (bars): e.g. the broker's figures next to the client's. */
  readonly dashed?: boolean;
  /** One value per x; undefined (a failed point) leaves a gap. */
  readonly values: readonly (number | undefined)[];
}

export interface ChartPanel {
  readonly title: string;
  readonly series: readonly ChartSeries[];
}

export interface LegendEntry {
  readonly label: string;
  readonly color: string;
  readonly dashed?: boolean;
}

export interface ChartSpec {
  readonly title: string;
  readonly subtitle?: string;
  readonly xLabel: string;
  /** `log`: xs are numbers growing geometrically (lines); `category`: named xs (grouped bars). */
  readonly xScale: 'log' | 'category';
  readonly xs: readonly (number | string)[];
  readonly xTickLabels: readonly string[];
  readonly columns: number;
  readonly panels: readonly ChartPanel[];
  readonly legend: readonly LegendEntry[];
  readonly footnote?: string;
}

const PAD = 16;
const PANEL_W = 400;
const PANEL_H = 250;
const GAP = 24;
const PLOT = { left: 62, right: 14, top: 28, bottom: 44 } as const;
const HEADER_H = 92;
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

/** The chart as an `<svg>` document. */
export function svgChart(spec: ChartSpec): string {
  const rows = Math.ceil(spec.panels.length / spec.columns);
  const width = PAD * 2 + spec.columns * PANEL_W + (spec.columns - 1) * GAP;
  const footH = spec.footnote ? 26 : 8;
  const height = HEADER_H + rows * PANEL_H + (rows - 1) * GAP + footH;
  const panels = spec.panels.map((panel, i) => {
    const x = PAD + (i % spec.columns) * (PANEL_W + GAP);
    const y = HEADER_H + Math.floor(i / spec.columns) * (PANEL_H + GAP);
    return panelSvg(spec, panel, x, y);
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<title>${esc(spec.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    text(PAD, 28, spec.title, { size: 17, weight: 'bold' }),
    spec.subtitle ? text(PAD, 48, spec.subtitle, { size: 12, color: '#555555' }) : '',
    legendSvg(spec.legend, PAD, 72),
    ...panels,
    spec.footnote ? text(PAD, height - 10, spec.footnote, { size: 11, color: '#555555' }) : '',
    '</svg>',
    '',
  ].filter(Boolean).join('\n');
}

function panelSvg(spec: ChartSpec, panel: ChartPanel, x0: number, y0: number): string {
  const w = PANEL_W - PLOT.left - PLOT.right;
  const h = PANEL_H - PLOT.top - PLOT.bottom;
  const left = x0 + PLOT.left;
  const top = y0 + PLOT.top;
  const bars = spec.xScale === 'category';
  const values = panel.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined));
  const y = valueScale(values, bars ? false : undefined);
  const py = (v: number) => top + h - clamp(y.position(v)) * h;
  const xs = bars ? spec.xs.map((_, i) => (i + 0.5) / spec.xs.length) : logPositions(spec.xs as number[]).map((p) => 0.06 + 0.88 * p);
  const px = (i: number) => left + (xs[i] ?? 0) * w;
  const parts = [
    text(x0 + 4, y0 + 16, panel.title, { size: 13, weight: 'bold' }),
    ...yAxis(y, left, w, py),
    ...spec.xTickLabels.map((label, i) => text(px(i), top + h + 16, label, { size: 11, anchor: 'middle' })),
    text(left + w / 2, top + h + 34, spec.xLabel, { size: 11, anchor: 'middle', color: '#555555' }),
    `<line x1="${left}" y1="${top + h}" x2="${left + w}" y2="${top + h}" stroke="#333333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + h}" stroke="#333333"/>`,
  ];
  if (y.kind === 'log') parts.push(text(left + w, top - 6, 'log scale', { size: 10, anchor: 'end', color: '#777777' }));
  // Nothing is at zero on a log scale: a zero (a broker that used less than a clock tick) leaves a gap there.
  const series = y.kind === 'log' ? panel.series.map((s) => ({ ...s, values: s.values.map((v) => (v !== undefined && v > 0 ? v : undefined)) })) : panel.series;
  const plotted = bars ? barsSvg(series, spec.xs.length, px, py, w, top + h) : series.map((s) => lineSvg(s, px, py));
  return [`<g>`, ...parts, ...plotted, `</g>`].join('\n');
}

function yAxis(y: Scale, left: number, w: number, py: (v: number) => number): string[] {
  return y.ticks.flatMap((t) => [
    `<line x1="${left}" y1="${r(py(t))}" x2="${left + w}" y2="${r(py(t))}" stroke="#e5e5e5"/>`,
    text(left - 6, py(t) + 4, shortNumber(t), { size: 11, anchor: 'end' }),
  ]);
}

/** A polyline through the defined values (a gap where one is missing), with a marker at each. */
function lineSvg(series: ChartSeries, px: (i: number) => number, py: (v: number) => number): string {
  const runs: string[] = [];
  let current: string[] = [];
  series.values.forEach((v, i) => {
    if (v === undefined || !Number.isFinite(v)) {
      if (current.length > 0) runs.push(current.join(' '));
      current = [];
      return;
    }
    current.push(`${current.length === 0 ? 'M' : 'L'}${r(px(i))},${r(py(v))}`);
  });
  if (current.length > 0) runs.push(current.join(' '));
  const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
  const markers = series.values.flatMap((v, i) =>
    v === undefined || !Number.isFinite(v)
      ? []
      : [`<circle cx="${r(px(i))}" cy="${r(py(v))}" r="3.2" fill="${series.dashed ? '#ffffff' : series.color}" stroke="${series.color}" stroke-width="1.5"><title>${esc(`${series.name}: ${shortNumber(v)}`)}</title></circle>`],
  );
  return [
    ...runs.map((d) => `<path d="${d}" fill="none" stroke="${series.color}" stroke-width="2"${dash}/>`),
    ...markers,
  ].join('\n');
}

/** Grouped bars: one group per category, one bar per series, its value written above it. */
function barsSvg(series: readonly ChartSeries[], categories: number, px: (i: number) => number, py: (v: number) => number, w: number, base: number): string[] {
  const group = (w / categories) * 0.72;
  const bar = group / Math.max(1, series.length);
  return series.flatMap((s, k) =>
    s.values.flatMap((v, i) => {
      if (v === undefined || !Number.isFinite(v)) return [];
      const x = px(i) - group / 2 + k * bar;
      const top = py(v);
      const fill = s.dashed ? `fill="${s.color}" fill-opacity="0.3" stroke="${s.color}" stroke-dasharray="4 2"` : `fill="${s.color}"`;
      return [
        `<rect x="${r(x + 1)}" y="${r(top)}" width="${r(bar - 2)}" height="${r(base - top)}" ${fill}><title>${esc(`${s.name}: ${shortNumber(v)}`)}</title></rect>`,
        text(x + bar / 2, top - 4, shortNumber(v), { size: 10, anchor: 'middle' }),
      ];
    }),
  );
}

function legendSvg(entries: readonly LegendEntry[], x0: number, y: number): string {
  let x = x0;
  return entries
    .map((e) => {
      const dash = e.dashed ? ' stroke-dasharray="6 4"' : '';
      const out = `<line x1="${x}" y1="${y - 4}" x2="${x + 24}" y2="${y - 4}" stroke="${e.color}" stroke-width="2.5"${dash}/>${text(x + 30, y, e.label, { size: 12 })}`;
      x += 42 + e.label.length * 6.6;
      return out;
    })
    .join('\n');
}

interface TextStyle {
  readonly size: number;
  readonly anchor?: 'start' | 'middle' | 'end';
  readonly weight?: 'bold';
  readonly color?: string;
}

function text(x: number, y: number, content: string, style: TextStyle): string {
  const anchor = style.anchor && style.anchor !== 'start' ? ` text-anchor="${style.anchor}"` : '';
  const weight = style.weight ? ` font-weight="${style.weight}"` : '';
  return `<text x="${r(x)}" y="${r(y)}" font-size="${style.size}"${anchor}${weight} fill="${style.color ?? '#222222'}">${esc(content)}</text>`;
}

const clamp = (p: number): number => Math.min(1, Math.max(0, p));
const r = (v: number): number => Math.round(v * 10) / 10;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
