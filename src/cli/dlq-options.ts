import { type Command, Option } from 'commander';
import { compilePattern } from '../blocks.js';
import { messageOf } from '../errors.js';
import { type DeadLetterFilter, type DeadLetters, deadLetters } from '../index.js';
import type { CliContext } from './cli-context.js';
import { type BrokerOptions, brokerOptionsOf, type CommonFlags, withBrokerOptions } from './cli-options.js';
import { timeArgument } from './time-argument.js';
import { fromArgument, usage, wholeNumber } from './usage-error.js';

/** What every `dlq` subcommand parses. */
export interface DlqFlags extends CommonFlags {
  readonly queue: string;
  readonly allowCountedReads?: boolean;
  readonly routingKey?: string;
  readonly error?: string;
  readonly pattern?: string;
  readonly since?: Date;
  readonly until?: Date;
  readonly limit?: number;
}

/** A `dlq` subcommand's run: its broker options, the filter, and the dead letters to open. */
export interface DlqRun {
  readonly options: BrokerOptions;
  /** The service queue; its dead letters are in `${queue}.dlq`. */
  readonly queue: string;
  readonly filter: DeadLetterFilter | undefined;
  readonly limit: number | undefined;
  /** `deadLetters(...)` of the queue on the broker; close it. */
  open(): DeadLetters;
}

/**
 * Adds the options of a `dlq` subcommand: the broker options, `--queue`,
 * `--allow-counted-reads` and, with `filters`, the filter options and `--limit`.
 */
export function withDlqOptions(command: Command, filters: { readonly limit?: string } | false): Command {
  withBrokerOptions(
    command
      .requiredOption('--queue <name>', 'the service queue Q; its dead letters are in Q.dlq')
      .option('--allow-counted-reads', 'read a quorum Q.dlq whose delivery limit cannot be seen (RabbitMQ 4): you vouch it has none'),
  );
  if (filters === false) return command;
  command
    .option('--routing-key <glob>', 'only those with this routing key (a glob, as handle patterns: order.*)')
    .option('--error <regex>', 'only those whose error matches this regular expression')
    .option('--pattern <pattern>', 'only those a handler of this pattern failed (exactly as registered)')
    .option('--since <time>', 'only those dead-lettered since this time (ISO-8601, or ago: 30m, 1h, 2d)', timeArgument())
    .option('--until <time>', 'only those dead-lettered before this time', timeArgument());
  if (filters.limit !== undefined) command.addOption(new Option('--limit <n>', filters.limit).argParser(wholeNumber(1)));
  return command;
}

/** The run of a `dlq` subcommand; a filter that cannot compile is a usage error (exit 2). */
export function dlqRunOf(flags: DlqFlags, cli: CliContext): DlqRun {
  const options = brokerOptionsOf(flags, cli);
  const { queue, routingKey, error, pattern, since, until, limit } = flags;
  const filter: { -readonly [K in keyof DeadLetterFilter]: DeadLetterFilter[K] } = {};
  if (routingKey !== undefined) filter.routingKey = fromArgument(`--routing-key ${routingKey}`, () => compilePattern(routingKey)).source;
  if (error !== undefined) filter.error = regExpOf(error);
  if (pattern !== undefined) filter.pattern = pattern;
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  return {
    options,
    queue,
    filter: Object.keys(filter).length === 0 ? undefined : filter,
    limit,
    open: () =>
      deadLetters({
        url: options.url,
        queue,
        exchange: options.exchange,
        connectTimeoutMs: options.timeoutMs,
        connectionName: 'rx-pubsub dlq',
        countedReads: flags.allowCountedReads === true,
      }),
  };
}

/** Runs `work` on the run's dead letters, closed afterwards. */
export async function withDeadLetters<T>(run: DlqRun, work: (dlq: DeadLetters) => Promise<T>): Promise<T> {
  const dlq = run.open();
  try {
    return await work(dlq);
  } finally {
    await dlq.close();
  }
}

function regExpOf(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    return usage(`--error ${source} is not a regular expression (${messageOf(error)})`);
  }
}
