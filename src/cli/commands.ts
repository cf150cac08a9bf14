import { asyncapiCommand } from './asyncapi.js';
import { bindingsCommand } from './bindings.js';
import type { CliCommand } from './cli-command.js';
import { dlqCommand } from './dlq.js';
import { publishCommand } from './publish.js';
import { statusCommand } from './status.js';
import { tailCommand } from './tail.js';

/** The subcommands of `rx-pubsub`, in the order `--help` lists them. A new command is a file and a line here. */
export const COMMANDS: readonly CliCommand[] = [tailCommand, publishCommand, statusCommand, bindingsCommand, dlqCommand, asyncapiCommand];
