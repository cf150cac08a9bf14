import type { BenchConfig } from './config.js';
import type { MachineInfo } from './machine.js';
import { markdownTable, type Row } from './report.js';

/** What `npm run bench` writes to results/latest.json (and the generated docs read back). */
export interface LatestResults {
  readonly started: string;
  readonly seconds: number;
  readonly machine: MachineInfo;
  readonly config: BenchConfig;
  /** The command line that ran it; older files lack it, and it is rebuilt from `config`. */
  readonly command?: string;
  readonly rows: readonly Row[];
}

/** The bench's own name for the library's client (its rows), and the baseline's: ids in the results, not the npm package's name. */
export const LIBRARY = 'rx-pubsub';
export const BASELINE = 'raw-amqplib';

/** `2026-12-04 19:57 UTC`. */
export function utcMinute(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/** The command that reproduces a run: the recorded one, else rebuilt from the sizes that differ from the defaults. */
export function benchCommand(results: Pick<LatestResults, 'command' | 'config'>): string {
  if (results.command) return results.command;
  const { quick, rounds } = results.config;
  return `${quick ? 'BENCH_QUICK=1 ' : ''}npm run bench${rounds !== 3 ? ` -- --rounds=${rounds}` : ''}`;
}

/** `2 cores (AMD EPYC), 24 GB, Linux 6.18; Node v20.20.2; RabbitMQ 3.10.8 on the same machine`. */
export function machineLine(machine: MachineInfo): string {
  return `${machine.nproc} cores (${machine.cpu}), ${machine.memoryGb} GB, ${machine.os}; Node ${machine.node}; RabbitMQ ${machine.rabbitmq} on the same machine`;
}

/** Other work on the machine when the run started: a 1-minute load above 3/4 of the cores. */
export function wasLoaded(machine: MachineInfo, ...laterLoads: readonly (readonly number[] | undefined)[]): boolean {
  const loads = [machine.loadAverageAtStart, ...laterLoads].map((load) => load?.[0] ?? 0);
  return Math.max(...loads) > machine.nproc * 0.75;
}

/** How many events each scenario of the run used (only those it ran). */
function sizes(config: BenchConfig): string[] {
  const count = (v: number) => v.toLocaleString('en-US');
  const ran = (scenario: string) => config.scenarios.some((s) => s === scenario);
  return [
    (ran('publish') || ran('wire-cost')) && `publish ${count(config.publishCount)} events (at most ${count(config.window)} unconfirmed)`,
    ran('consume') && `consume ${count(config.consumeCount)} (prefetch ${config.prefetch})`,
    ran('latency') && `latency ${count(config.latencyRate)}/s for ${config.latencySeconds} s`,
    ran('memory-routing') && `memory:// ${count(config.memoryCount)} deliveries`,
    ran('rss-over-time') && `RSS over time ${count(config.rssMemoryCount)} (memory://) and ${count(config.rssAmqpCount)} (RabbitMQ) deliveries, ${config.handlerMs} ms handler`,
  ].filter((part): part is string => typeof part === 'string');
}

/**
 * The full table of `npm run bench` with what it was measured on: date,
 * machine, versions, commit, rounds and the command. `links` are paths from
 * the page being written to results/latest.json and bench/README.md.
 */
export function resultsMarkdown(results: LatestResults, links: { readonly json: string; readonly readme: string }): string {
  const { machine, config } = results;
  const loaded = wasLoaded(machine)
    ? ` — **other work was running: compare the rows of one scenario with each other, not absolute rates**`
    : '';
  return [
    `Measured ${utcMinute(results.started)} on ${machineLine(machine)}; load average at start ${machine.loadAverageAtStart.join(' / ')}${loaded}.`,
    `Commit ${machine.rxPubsub}. Command: \`${benchCommand(results)}\`; ${config.rounds} round${config.rounds === 1 ? '' : 's'}, medians; took ${results.seconds} s.`,
    `Sizes: ${sizes(config).join('; ')}.`,
    '',
    markdownTable(results.rows),
    '',
    `×raw: throughput ÷ the baseline's in the same round (higher is better): naive raw amqplib on publish and wire-cost rows, raw amqplib on consume rows; on latency rows, p50 ÷ raw amqplib noDelay's p50 (lower is better). CPU ×raw, broker ×raw, RSS ×raw: client CPU per message, the broker's CPU per message and peak RSS ÷ the baseline's in the same round (lower is better). Every round's figures: [latest.json](${links.json}); how each is taken: [bench/README.md](${links.readme}).`,
  ].join('\n');
}

const find = (rows: readonly Row[], scenario: string, client: string, variants: readonly string[]): Row | undefined =>
  variants.map((variant) => rows.find((r) => r.scenario === scenario && r.client === client && r.variant === variant)).find(Boolean);

const x = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '?' : `${v.toFixed(2)}×`);
const ms = (v: number | undefined): string => (v === undefined ? '?' : `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`);

/**
 * The README's few lines: publish, consume and latency p50 as ratios to raw
 * amqplib, and where the full table is. A scenario the run left out has no
 * line; a run with none of the three is an error (the README would lose its
 * figures).
 */
export function headlineMarkdown(results: LatestResults, pageLink: string): string {
  const { rows, machine, config } = results;
  const lines: string[] = [];
  const publish = find(rows, 'publish', LIBRARY, ['']);
  if (publish) {
    const all = find(rows, 'publish', LIBRARY, ['publishAll']);
    const batched = all ? `; \`publishAll\` ${x(all.ratio)}` : '';
    // Older runs compared publishing to raw amqplib sending the library's wire format; newer ones to the plain publish users write.
    const naive = find(rows, 'publish', BASELINE, ['naive']) !== undefined;
    const baseline = naive ? 'raw amqplib\'s throughput (a plain confirmed `publish`, as users write it)' : 'raw amqplib\'s throughput (sending the same wire format)';
    lines.push(`- **Publish**: ${x(publish.ratio)} ${baseline} at ${x(publish.cpuRatio)} its CPU per message${batched}.`);
  }
  const consume = find(rows, 'consume', LIBRARY, ['1 handler', '']);
  if (consume) lines.push(`- **Consume**: ${x(consume.ratio)} raw amqplib's throughput at ${x(consume.cpuRatio)} its CPU per message.`);
  const latency = find(rows, 'latency', LIBRARY, ['defaults', '']);
  if (latency) {
    const nagle = find(rows, 'latency', BASELINE, ['Nagle (default)']);
    const nagleNote = nagle ? ` (raw amqplib on Node's default socket: ${ms(nagle.p50Ms)})` : '';
    lines.push(`- **Latency p50**: ${ms(latency.p50Ms)} with the defaults, ${x(latency.ratio)} raw amqplib with \`noDelay\`${nagleNote}.`);
  }
  if (lines.length === 0) throw new Error('the results have no publish, consume or latency row of the library: nothing to quote');
  const rounds = config.rounds === 1 ? 'one round' : `medians of ${config.rounds} rounds`;
  const loaded = wasLoaded(machine) ? ' (a loaded machine: noisy)' : '';
  lines.push(`- ${utcMinute(results.started).slice(0, 10)}, ${machine.nproc} cores${loaded}, RabbitMQ ${machine.rabbitmq}, ${rounds}; the peers, the broker's CPU, memory and the method: [performance](${pageLink}).`);
  return lines.join('\n');
}

/** results/latest.md: the same Markdown the docs get, under a title, with links from beside it. */
export function latestFile(results: LatestResults): string {
  return `# rx-pubsub benchmark — ${utcMinute(results.started)}\n\n${resultsMarkdown(results, { json: 'latest.json', readme: '../README.md' })}\n`;
}
