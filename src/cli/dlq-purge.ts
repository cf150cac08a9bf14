import { type CliCommand, examples } from './cli-command.js';
import type { CliContext } from './cli-context.js';
import { requireConsent } from './confirmation.js';
import { durationText } from './dead-letter-output.js';
import { goAhead } from './dlq-dry-run.js';
import { type DlqFlags, dlqRunOf, withDeadLetters, withDlqOptions } from './dlq-options.js';
import { createOutput } from './output.js';

interface PurgeFlags extends DlqFlags {
  readonly dryRun?: boolean;
  readonly yes?: boolean;
}

/** `rx-pubsub dlq purge --queue Q`: removes the dead letters that match, and only those. */
export const dlqPurgeCommand: CliCommand = (dlq, cli) => {
  withDlqOptions(
    dlq
      .command('purge')
      .summary('remove the dead letters that match, and only those')
      .description(
        'remove the dead letters of Q.dlq that match (all without a filter), among those there when it starts; the others stay, in order. ' +
          'Asks for a confirmation unless --yes.',
      ),
    { limit: 'remove at most n (the first that match)' },
  )
    .option('--dry-run', 'show how many would be removed, and what failed; change nothing')
    .option('-y, --yes', 'do not ask for a confirmation (needed without a terminal)')
    .addHelpText(
      'after',
      examples(
        ['dlq purge --queue billing --routing-key test.* --dry-run', 'how many test events would go'],
        ['dlq purge --queue billing --routing-key test.*', 'remove them (asks first)'],
        ['dlq purge --queue billing --until 7d --yes', 'remove those older than a week, without asking'],
      ),
    )
    .action((flags: PurgeFlags) => purge(flags, cli));
};

async function purge(flags: PurgeFlags, cli: CliContext): Promise<void> {
  const run = dlqRunOf(flags, cli);
  const ask = requireConsent(cli, flags, 'dlq purge');
  const output = createOutput(cli, run.options.json);
  await withDeadLetters(run, async (dlq) => {
    const consent = {
      dryRun: flags.dryRun === true,
      ask,
      operation: 'purge',
      question: (count: number) => `Remove ${count} dead letters from ${dlq.deadLetterQueue}, for good?`,
    };
    if (!(await goAhead(dlq, run, output, cli, consent))) return;
    const started = Date.now();
    const { purged, kept } = await dlq.purge({
      ...(run.filter === undefined ? {} : { filter: run.filter }),
      ...(run.limit === undefined ? {} : { limit: run.limit }),
    });
    const seconds = (Date.now() - started) / 1000;
    if (output.json) output.record({ purged, kept, durationMs: Math.round(seconds * 1000) });
    else
      output.line(
        `${output.colors.red(`purged ${purged}`)} from ${dlq.deadLetterQueue}, kept ${kept} (not matching) in ${durationText(seconds)}`,
      );
  });
}
