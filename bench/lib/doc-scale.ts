import { machineLine, utcMinute, wasLoaded } from './doc-results.js';
import type { MachineInfo } from './machine.js';
import { AXES, type AxisPlan, SCALE_COUNT, type ScaleConfig, type ScalePoint } from './scale-plan.js';
import { axisMarkdown, type PointSummary } from './scale-report.js';

/** What `npm run bench:scale` writes to results/scale.json (and the generated docs read back). */
export interface ScaleResults {
  readonly started: string;
  readonly seconds: number;
  readonly machine: MachineInfo & {
    readonly loadAverageAtEnd?: readonly number[];
    /** The broker's CPU while the run sent it nothing, µs per second, before each round. */
    readonly brokerIdleUsPerSecByRound?: readonly (number | null | undefined)[];
  };
  readonly config: ScaleConfig;
  /** The command line that ran it; older files lack it, and it is rebuilt from `config`. */
  readonly command?: string;
  readonly points: readonly ScalePoint[];
  readonly axes: readonly AxisPlan[];
  readonly summaries: readonly PointSummary[];
}

/** The command that reproduces a scale run: the recorded one, else rebuilt from what differs from the defaults. */
export function scaleCommand(results: Pick<ScaleResults, 'command' | 'config'>): string {
  if (results.command) return results.command;
  const { quick, rounds, axes, count } = results.config;
  const flags = [
    quick && '--quick',
    rounds !== 3 && `--rounds=${rounds}`,
    axes.length !== AXES.length && `--axes=${axes.join(',')}`,
    count !== (quick ? SCALE_COUNT.quick : SCALE_COUNT.normal) && `--count=${count}`,
  ].filter(Boolean);
  return `npm run bench:scale${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''}`;
}

const LEGEND = [
  '- **×raw**: rx-pubsub ÷ raw amqplib in the same round, median over rounds (throughput: above 1 is faster; CPU: below 1 is cheaper).',
  "- **CPU µs/msg**: the client process (user + system) over the timed part ÷ messages; **GC µs/msg**: its garbage-collection pauses; **loop busy**: how much of the timed part its event loop was busy (near 100%: the client's JavaScript is the bottleneck).",
  "- **broker µs/msg**: RabbitMQ's beam.smp CPU over the timed part ÷ messages (10 ms clock ticks: coarse on short points; it includes whatever else the broker did meanwhile, see \"broker at rest\"); **broker cores**: that × msg/s, how much of the machine the broker took (a queue is one Erlang process, so at most one core, with the connection and channel processes on top).",
  '- **likely limit**: read from that client\'s own figures: `client` when its event loop was at least 85% busy (`client (GC)` when GC pauses were a quarter or more of its CPU per message), `broker` when the broker took 0.85 of a core or more, `neither` otherwise (the client waited: round trips, or other processes on the cores). A hint to check against the other columns, not a measurement.',
  "- Below each table, each step's ratio to the point before it: a bend is the step where a ratio leaves ~1×.",
];

/**
 * The scale run's figures: what they were measured on, then per axis its
 * chart, its table and its step ratios. `charts` is the path from the page
 * being written to the folder of the SVGs (`''` beside them); `level` the
 * heading level of the axes.
 */
export function scaleMarkdown(results: ScaleResults, links: { readonly charts: string; readonly readme: string }, level = 3): string {
  const { machine, config } = results;
  const end = machine.loadAverageAtEnd;
  const loaded = wasLoaded(machine, end)
    ? ' — **a loaded machine: other work shared the cores and the broker, so the figures are noisy; compare the two clients within a row, and the shape of a curve, rather than absolute rates**'
    : '';
  const idle = (machine.brokerIdleUsPerSecByRound ?? []).map((us) => (us == null ? 'unknown' : `${(us / 1000).toFixed(1)} ms/s`));
  const summaries = new Map(results.summaries.map((s) => [s.point.id, s]));
  const chartDir = links.charts === '' || links.charts.endsWith('/') ? links.charts : `${links.charts}/`;
  return [
    `Measured ${utcMinute(results.started)} on ${machineLine(machine)}. Load average (1 / 5 / 15 min): ${machine.loadAverageAtStart.join(' / ')} at start${end ? `, ${end.join(' / ')} at end` : ''}${loaded}.`,
    ...(idle.length > 0 ? [`Broker at rest (its CPU while this run sent it nothing, 3 s before each round): ${idle.join(', ')}; at a point's rate R msg/s it adds (that ÷ R) to the broker's CPU per message.`] : []),
    `Commit ${machine.rxPubsub}. Command: \`${scaleCommand(results)}\`; ${config.rounds} round${config.rounds === 1 ? '' : 's'}, medians; ${config.count.toLocaleString('en-US')} events at the base setting; took ${results.seconds} s. How it runs: [bench/README.md](${links.readme}).`,
    '',
    'Every point varies one thing from the base setting: consume, the ~200-byte event, 1 async handler, prefetch 100, one consumer, a classic queue. Both clients send rx-pubsub\'s wire format with `noDelay`, use async handlers routed by pattern and ack once they are done.',
    '',
    ...LEGEND,
    '',
    ...results.axes.flatMap((axis) => {
      const table = axisMarkdown(axis, summaries, level).trimEnd().split('\n');
      // The heading, then the chart, then the table and its step ratios.
      return [table[0] as string, '', `![${axis.title}](${chartDir}scale-${axis.axis}.svg)`, ...table.slice(1), ''];
    }),
  ].join('\n');
}

/** results/scale.md: the same Markdown the docs get, beside the charts, under a title. */
export function scaleFile(results: ScaleResults): string {
  const links = { charts: '', readme: '../README.md#the-scale-run-how-cost-grows-as-work-grows' };
  return `# rx-pubsub scale run — ${utcMinute(results.started)}\n\n${scaleMarkdown(results, links, 2)}`;
}
