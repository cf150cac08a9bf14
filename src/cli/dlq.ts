import { type CliCommand, examples } from './cli-command.js';
import { dlqListCommand, dlqShowCommand } from './dlq-list.js';
import { dlqPurgeCommand } from './dlq-purge.js';
import { dlqReplayCommand } from './dlq-replay.js';
import { dlqStatsCommand } from './dlq-stats.js';

/** The `dlq` subcommands, in the order `rx-pubsub dlq --help` lists them: an incident's order. */
const SUBCOMMANDS: readonly CliCommand[] = [dlqStatsCommand, dlqListCommand, dlqShowCommand, dlqReplayCommand, dlqPurgeCommand];

/** `rx-pubsub dlq <command>`: the dead letters of a service queue, over the dead-letter API (`deadLetters`). */
export const dlqCommand: CliCommand = (program, cli) => {
  const dlq = program
    .command('dlq')
    .summary('inspect, replay and purge the dead letters of a queue')
    .description(
      'the dead letters of a service queue Q, in Q.dlq: what failed and why (stats, ls, show), put the fixed ones back (replay), drop the rest (purge). ' +
        'Reading gives every message back in its order; on a quorum Q.dlq (the default) each read counts one delivery, ' +
        'and a queue with a delivery limit is refused.',
    )
    .addHelpText(
      'after',
      examples(
        ['dlq stats --queue billing', 'what failed, and why'],
        ['dlq ls --queue billing --error "payment provider"', 'which ones'],
        ['dlq replay --queue billing --error "payment provider"', 'after the fix: put them back'],
      ),
    );
  for (const command of SUBCOMMANDS) command(dlq, cli);
};
