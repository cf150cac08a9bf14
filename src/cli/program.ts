import { readFileSync } from 'node:fs';
import { type Argument, Command, CommanderError } from 'commander';
import { isRxPubsubError } from '../errors.js';
import type { CliContext } from './cli-context.js';
import { COMMANDS } from './commands.js';
import { oneLine, UsageError } from './usage-error.js';

/** How `rx-pubsub` ends. */
export const ExitCode = {
  /** Done. */
  OK: 0,
  /** Failed: the broker or the network, a refused publish, a missing queue. */
  FAILED: 1,
  /** The command line cannot work: fix it (see `--help`). */
  USAGE: 2,
} as const;

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const SEE_HELP = '(see rx-pubsub <command> --help)';

/** Help is wrapped at the terminal's width, and at 80 columns when stdout is not a terminal (stable in scripts and snapshots). */
const HELP_WIDTH = 80;

const PROGRAM_HELP = `
Every command takes --json (one JSON value per line) and --help (with examples).
Environment:
  AMQP_URL  the broker when --url is not given (its password is never printed)
  NO_COLOR  no colours (they are off anyway when stdout is not a terminal)
Exit codes: 0 done, 1 failed (broker, network, refusal), 2 wrong usage.`;

/** The `rx-pubsub` program: commander, with every command of {@link COMMANDS}, writing to the context's streams. */
export function createProgram(cli: CliContext): Command {
  const width = () => (cli.stdout.isTTY === true ? (cli.stdout.columns ?? HELP_WIDTH) : HELP_WIDTH);
  const program = new Command('rx-pubsub')
    .description('Watch, publish and inspect the events of rx-pubsub buses on RabbitMQ, and document their catalog.')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .showSuggestionAfterError(true)
    .showHelpAfterError(SEE_HELP)
    // Commands listed by name and arguments (no "[options]"): the summaries then get room to wrap at 80 columns.
    .configureHelp({ subcommandTerm: (command) => [command.name(), ...command.registeredArguments.map(argumentTerm)].join(' ') })
    .configureOutput({
      writeOut: (text) => cli.stdout.write(text),
      writeErr: (text) => cli.stderr.write(text),
      getOutHelpWidth: width,
      getErrHelpWidth: width,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .addHelpText('after', PROGRAM_HELP);
  for (const command of COMMANDS) command(program, cli);
  return program;
}

/**
 * Runs the command line `args` (without `node` and the script) and returns
 * the exit code: 0 done, 1 failed, 2 wrong usage. A failure is one line on
 * stderr, passwords hidden; never a stack trace.
 */
export async function runProgram(args: readonly string[], cli: CliContext): Promise<number> {
  try {
    await createProgram(cli).parseAsync([...args], { from: 'user' });
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof CommanderError) return exitCodeOfCommander(error);
    if (error instanceof UsageError) {
      cli.stderr.write(`error: ${oneLine(error)}\n${SEE_HELP}\n`);
      return ExitCode.USAGE;
    }
    cli.stderr.write(`error: ${oneLine(error)}${isRxPubsubError(error) ? ` [${error.code}]` : ''}\n`);
    return ExitCode.FAILED;
  }
}

function argumentTerm(argument: Argument): string {
  const name = `${argument.name()}${argument.variadic ? '...' : ''}`;
  return argument.required ? `<${name}>` : `[${name}]`;
}

/** Commander printed its message already; help and version asked for are success, everything else a usage error. */
function exitCodeOfCommander(error: CommanderError): number {
  if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.OK;
  if (error.code === 'commander.help' && error.exitCode === 0) return ExitCode.OK;
  return ExitCode.USAGE;
}
