import { describe, expect, it } from 'vitest';
import { linearScale, logPositions, logScale, shortNumber, valueScale } from '../../bench/lib/chart-scale.js';
import { type ChartSpec, svgChart } from '../../bench/lib/svg-chart.js';

// The scale run's charts (bench/lib): hand-written SVG, so its scales and its markup are checked here.

function spec(overrides: Partial<ChartSpec> = {}): ChartSpec {
  return {
    title: 'msg/s <by> size & more',
    xLabel: 'event size',
    xScale: 'log',
    xs: [200, 4096, 65_536, 1_048_576],
    xTickLabels: ['200 B', '4 KB', '64 KB', '1 MB'],
    columns: 2,
    panels: [
      { title: 'throughput', series: [{ name: 'raw', color: '#666666', values: [30_000, 12_000, 1_500, 90] }] },
      {
        title: 'CPU',
        series: [
          { name: 'client', color: '#1f6fd1', values: [30, undefined, 600, 9_000] },
          { name: 'broker', color: '#1f6fd1', dashed: true, values: [20, 40, 0, 3_000] },
        ],
      },
    ],
    legend: [{ label: 'raw amqplib', color: '#666666' }],
    ...overrides,
  };
}

const count = (svg: string, pattern: RegExp): number => svg.match(pattern)?.length ?? 0;

describe('chart scales', () => {
  it('goes linear from zero to a round top with about five round ticks', () => {
    const scale = linearScale(87);
    expect(scale.kind).toBe('linear');
    expect(scale.ticks).toEqual([0, 20, 40, 60, 80, 100]);
    expect(scale.position(50)).toBeCloseTo(0.5);
  });

  it('goes logarithmic over whole decades, with 2 and 5 ticks when it spans two or fewer', () => {
    expect(logScale(13, 8_000).ticks).toEqual([10, 100, 1_000, 10_000]);
    const narrow = logScale(30, 900);
    expect(narrow.ticks).toEqual([10, 20, 50, 100, 200, 500, 1_000]);
    expect(narrow.position(100)).toBeCloseTo(0.5);
  });

  it('picks log only when the values span more than 20×, ignoring zeros and gaps there', () => {
    expect(valueScale([100, 1_900]).kind).toBe('linear');
    expect(valueScale([90, 30_000]).kind).toBe('log');
    expect(valueScale([0, 90, 30_000, NaN]).ticks[0]).toBe(10);
    expect(valueScale([90, 30_000], false).kind).toBe('linear');
  });

  it('spaces geometric x values evenly and writes short tick labels', () => {
    expect(logPositions([1, 10, 100, 1_000])).toEqual([0, 1 / 3, 2 / 3, 1]);
    expect([950, 1_000, 2_500, 40_000, 1_200_000, 0.5].map(shortNumber)).toEqual(['950', '1k', '2.5k', '40k', '1.2M', '0.5']);
  });
});

describe('svgChart', () => {
  it('is one standalone SVG document with escaped text', () => {
    const svg = svgChart(spec());
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('msg/s &lt;by&gt; size &amp; more');
    expect(svg).not.toContain('<by>');
    // Every element opened is closed (self-closing ones aside).
    for (const tag of ['g', 'text', 'title', 'circle']) expect(count(svg, new RegExp(`<${tag}[ >]`, 'g'))).toBe(count(svg, new RegExp(`</${tag}>`, 'g')));
  });

  it('draws a line per run of defined values, a marker per value, and nothing for a zero on a log scale', () => {
    const svg = svgChart(spec());
    // throughput: one path; client: split by its gap into two runs (one of a single point); broker (dashed): its zero splits it too.
    expect(count(svg, /<path /g)).toBe(1 + 2 + 2);
    expect(count(svg, /stroke-dasharray="6 4"/g)).toBe(2); // the broker's two runs (no dashed legend entry here)
    expect(count(svg, /<circle /g)).toBe(4 + 3 + 3);
    expect(svg).toContain('log scale');
  });

  it('draws named x values as grouped bars on a linear scale, each with its value', () => {
    const svg = svgChart(
      spec({
        xScale: 'category',
        xs: ['classic', 'quorum'],
        xTickLabels: ['classic', 'quorum'],
        panels: [{ title: 'throughput', series: [{ name: 'raw', color: '#666666', values: [12_000, 300] }, { name: 'rx', color: '#1f6fd1', values: [10_000, undefined] }] }],
      }),
    );
    expect(count(svg, /<rect [^>]*><title>/g)).toBe(3);
    expect(svg).toContain('>12k</text>');
    expect(svg).toContain('>300</text>');
    expect(svg).not.toContain('log scale');
  });
});
