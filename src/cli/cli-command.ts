import type { Command } from 'commander';
import type { CliContext } from './cli-context.js';

/**
 * One subcommand of `rx-pubsub`: adds itself (its arguments, options, help
 * with examples and action) to the program. An action throws a `UsageError`
 * for a command line that cannot work (exit 2) and any other error for a
 * failure (exit 1); it resolves when the command is done (exit 0).
 * The program lists its commands in `commands.ts`.
 */
export type CliCommand = (program: Command, cli: CliContext) => void;

/** The `Examples:` section of a command's help: `$ rx-pubsub ...` lines, each with what it does. */
export function examples(...lines: readonly (readonly [command: string, what: string])[]): string {
  return ['', 'Examples:', ...lines.flatMap(([command, what]) => [`  $ rx-pubsub ${command}`, `      ${what}`])].join('\n');
}
