import { Option, type Command } from 'commander';
import type { CliContext } from './cli-context.js';
import { usage, wholeNumber } from './usage-error.js';

/** What `--url`, `--exchange`, `--json` and `--timeout` resolve to. */
export interface BrokerOptions {
  /** An `amqp://` or `amqps://` URL, password included: never print it (`redactUrl`). */
  readonly url: string;
  readonly exchange: string;
  readonly json: boolean;
  /** Connecting, and each confirm, give up after this. */
  readonly timeoutMs: number;
}

/** The options every command has, as commander parses them. */
export interface CommonFlags {
  readonly url?: string;
  readonly exchange: string;
  readonly json?: boolean;
  readonly timeout: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Adds `--json` to a command: every command has it. Without `--url`: the
 * command does not talk to the broker.
 */
export function withJsonOption(command: Command): Command {
  return command.option('--json', 'print JSON (one value per line, NDJSON) for scripts');
}

/**
 * Adds the broker options: `--url` (its default, `$AMQP_URL`, is resolved at
 * run time and never shown: help must not print a password), `--exchange`,
 * `--timeout` and `--json`.
 */
export function withBrokerOptions(command: Command): Command {
  return withJsonOption(
    command
      .option('--url <url>', 'broker URL, amqp:// or amqps:// (default: $AMQP_URL)')
      .option('--exchange <name>', 'topic exchange of the events', 'events')
      .addOption(
        new Option('--timeout <ms>', 'give up connecting (and waiting for a confirm) after this')
          .default(DEFAULT_TIMEOUT_MS)
          .argParser(wholeNumber(1)),
      ),
  );
}

/**
 * The broker options of a command run, checked: a missing URL, another
 * scheme or `memory://` is a usage error. `memory://` names a broker inside
 * one process; the CLI's process would get a new, empty one of its own.
 */
export function brokerOptionsOf(flags: CommonFlags, cli: CliContext): BrokerOptions {
  const url = flags.url ?? cli.env.AMQP_URL;
  if (url === undefined || url === '') usage("no broker: give --url or set AMQP_URL to the broker's amqp:// or amqps:// URL");
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'memory') {
    usage('--url memory://... is an in-process broker: this command would get an empty one of its own. Give the amqp:// URL of RabbitMQ');
  }
  if (scheme !== 'amqp' && scheme !== 'amqps') usage('--url must start with amqp:// or amqps://');
  if (flags.exchange === '') usage('--exchange must not be empty (the default exchange routes by queue name, not by event)');
  return { url, exchange: flags.exchange, json: flags.json === true, timeoutMs: flags.timeout };
}
