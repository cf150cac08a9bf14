import { type CliCommand, examples } from './cli-command.js';
import type { CliContext } from './cli-context.js';
import { statsRecord, statsText } from './dead-letter-output.js';
import { type DlqFlags, dlqRunOf, withDeadLetters, withDlqOptions } from './dlq-options.js';
import { createOutput } from './output.js';

/** `rx-pubsub dlq stats --queue Q`: what failed and why, in counts. */
export const dlqStatsCommand: CliCommand = (dlq, cli) => {
  withDlqOptions(
    dlq
      .command('stats')
      .summary('count the dead letters by error, failed pattern and routing key')
      .description(
        'count the dead letters of Q (in Q.dlq) by error, by failed handler pattern and by routing key, with the oldest and newest failure. ' +
          'Reads the queue and gives every message back in its order (on a quorum queue each read counts one delivery).',
      ),
    {},
  )
    .addHelpText(
      'after',
      examples(
        ['dlq stats --queue billing', 'what failed in billing.dlq, and why'],
        ["dlq stats --queue billing --routing-key 'order.*' --since 1h", 'only order events dead-lettered in the last hour'],
        ['dlq stats --queue billing --json | jq .byError', 'one JSON object: total, byError, byPattern, byRoutingKey'],
      ),
    )
    .action((flags: DlqFlags) => stats(flags, cli));
};

async function stats(flags: DlqFlags, cli: CliContext): Promise<void> {
  const run = dlqRunOf(flags, cli);
  const output = createOutput(cli, run.options.json);
  await withDeadLetters(run, async (dlq) => {
    const result = await dlq.stats(run.filter === undefined ? {} : { filter: run.filter });
    if (output.json) output.record(statsRecord(dlq.deadLetterQueue, result));
    else output.line(statsText(output, dlq.deadLetterQueue, result, run.filter !== undefined));
  });
}
