import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError } from 'commander';
import { ConnectionError, ErrorCode } from '../errors.js';
import { type BrokerConnection, connectBroker, replyCodeOf } from './broker-connection.js';
import { type CliCommand, examples } from './cli-command.js';
import type { CliContext } from './cli-context.js';
import { type BrokerOptions, brokerOptionsOf, type CommonFlags, withBrokerOptions } from './cli-options.js';
import { createOutput, type Output, renderTable } from './output.js';
import { type QueueProbe, type QueueSample, type QueueStatus, queuesOf, STATUS_HEAD, statusRows, withRates } from './queue-status.js';
import { wholeNumber } from './usage-error.js';

interface StatusFlags extends CommonFlags {
  readonly queue: string;
  readonly retryDelays?: number[];
  readonly watch?: boolean;
  readonly interval: number;
}

/** Clears a terminal and puts the cursor top left, for `--watch`. */
const CLEAR_SCREEN = '\u001b[2J\u001b[H';

/** `rx-pubsub status --queue Q`: depth, consumers and rates of Q, Q.dlq and its delay queues, from passive declares. */
export const statusCommand: CliCommand = (program, cli) => {
  withBrokerOptions(
    program
      .command('status')
      .summary('depth, consumers and rates of a queue, its dead letters and retries')
      .description(
        'depth, consumers and rate of a service queue, its dead-letter queue and its delay queues, as a table. ' +
          'Uses passive declares (no management plugin); the rate is the change of depth between two samples.',
      )
      .requiredOption('--queue <name>', 'the service queue')
      .option('--retry-delays <ms,...>', 'the delays of its retry policy, to show each Q.retry.<ms> (AMQP cannot list queues)', delayList)
      .option('--watch', 'sample again every --interval until Ctrl-C')
      .option('--interval <ms>', 'time between two samples', wholeNumber(1), 1000),
  )
    .addHelpText(
      'after',
      examples(
        ['status --queue billing', 'billing and billing.dlq, sampled twice a second apart'],
        ['status --queue billing --retry-delays 1000,10000 --watch', 'with its delay queues, refreshed until Ctrl-C'],
        ['status --queue billing --json', 'one JSON line: {"time", "queues": [...]}'],
      ),
    )
    .action((flags: StatusFlags) => status(flags, cli));
};

async function status(flags: StatusFlags, cli: CliContext): Promise<void> {
  const options = brokerOptionsOf(flags, cli);
  const probes = queuesOf(flags.queue, flags.retryDelays ?? []);
  const output = createOutput(cli, options.json);
  const broker = await connectBroker(options, 'rx-pubsub status');
  const stop = new AbortController();
  void cli.stopRequested(stop.signal).then(() => stop.abort());
  try {
    let previous = await sampleAll(broker, probes);
    if (!previous[0]?.exists) {
      throw new ConnectionError(
        ErrorCode.TOPOLOGY_FAILED,
        `the queue ${flags.queue} does not exist on the broker: check --queue (and the vhost in --url)`,
      );
    }
    const watch = flags.watch === true;
    if (watch) show(withRates(undefined, previous), options, output, watch);
    do {
      if (!(await waitUnlessStopped(flags.interval, stop.signal))) return;
      const next = await sampleAll(broker, probes);
      show(withRates(previous, next), options, output, watch);
      previous = next;
    } while (watch);
  } finally {
    stop.abort();
    await broker.close(2_000);
  }
}

/** `1000,5000` → [1000, 5000]: a commander argument parser. */
function delayList(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.some((part) => part === '')) throw new InvalidArgumentError('Give milliseconds separated by commas, as 1000,5000.');
  return parts.map(wholeNumber(1));
}

/** Waits `ms`; false when Ctrl-C came first. */
async function waitUnlessStopped(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/**
 * Passive declares, one queue after the other. A missing queue answers
 * 404, which closes the channel: the next probe opens another.
 */
async function sampleAll(broker: BrokerConnection, probes: readonly QueueProbe[]): Promise<QueueSample[]> {
  const samples: QueueSample[] = [];
  let channel = await broker.channel();
  for (const probe of probes) {
    try {
      const { messageCount, consumerCount } = await channel.checkQueue(probe.name);
      samples.push({ ...probe, exists: true, messages: messageCount, consumers: consumerCount, at: Date.now() });
    } catch (error) {
      if (replyCodeOf(error) !== 404) throw error;
      samples.push({ ...probe, exists: false, messages: undefined, consumers: undefined, at: Date.now() });
      channel = await broker.channel();
    }
  }
  await channel.close().catch(() => {});
  return samples;
}

/** A table (redrawn in place on a terminal with `--watch`), or one NDJSON record per sample. */
function show(statuses: readonly QueueStatus[], options: BrokerOptions, output: Output, watch: boolean): void {
  const time = new Date().toISOString();
  if (output.json) {
    const queues = statuses.map(({ name, role, exists, messages, consumers, ratePerSecond }) => ({
      name,
      role,
      exists,
      messages: messages ?? null,
      consumers: consumers ?? null,
      ratePerSecond: ratePerSecond ?? null,
    }));
    output.record({ time, queues });
    return;
  }
  const heading = output.colors.dim(`${hostOf(options.url)} · exchange ${options.exchange} · ${time}`);
  output.line(
    `${output.isTTY && watch ? CLEAR_SCREEN : ''}${heading}\n${renderTable(output, STATUS_HEAD, statusRows(statuses, output.colors))}`,
  );
}

/** host:port and vhost of the URL: never its user or password. */
function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname.length > 1 ? parsed.pathname : ''}`;
  } catch {
    return 'the broker';
  }
}
