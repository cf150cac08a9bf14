import { Option } from 'commander';
import { ConnectionError, ErrorCode } from '../errors.js';
import type { DeadLetterReplayOptions, DeadLetterReplayProgress, DeadLetters } from '../index.js';
import { type CliCommand, examples } from './cli-command.js';
import type { CliContext } from './cli-context.js';
import { requireConsent } from './confirmation.js';
import { durationText } from './dead-letter-output.js';
import { goAhead } from './dlq-dry-run.js';
import { type DlqFlags, dlqRunOf, withDeadLetters, withDlqOptions } from './dlq-options.js';
import { createOutput, type Output } from './output.js';
import { replayProgressBar } from './replay-progress-bar.js';
import { wholeNumber } from './usage-error.js';

interface ReplayFlags extends DlqFlags {
  readonly to: 'queue' | 'exchange';
  readonly window?: number;
  readonly dryRun?: boolean;
  readonly yes?: boolean;
}

/** `rx-pubsub dlq replay --queue Q`: the dead letters back to Q (or to the exchange), each removed only after its copy's confirm. */
export const dlqReplayCommand: CliCommand = (dlq, cli) => {
  withDlqOptions(
    dlq
      .command('replay')
      .summary('republish dead letters (confirmed), then remove them')
      .description(
        'republish the dead letters of Q.dlq that match (all without a filter), each with confirm, attempts reset and messageId kept, ' +
          'and remove each only after its confirm. Interrupted anywhere (even killed), none is lost and at most --window are copied twice: run it again. ' +
          'Asks for a confirmation unless --yes.',
      ),
    { limit: 'replay at most n (the first that match)' },
  )
    .addOption(
      new Option('--to <target>', 'queue: to Q only; exchange: to the exchange with the routing key (every bound service)')
        .choices(['queue', 'exchange'])
        .default('queue'),
    )
    .option('--window <n>', 'copies awaiting their confirm at once: the most an interruption can duplicate (default 100)', wholeNumber(1))
    .option('--dry-run', 'show how many would be replayed, and what failed; change nothing')
    .option('-y, --yes', 'do not ask for a confirmation (needed without a terminal)')
    .addHelpText(
      'after',
      examples(
        ['dlq replay --queue billing --error "payment provider" --dry-run', 'how many would go back, and what failed'],
        ['dlq replay --queue billing --error "payment provider"', 'put them back into billing (asks first)'],
        ['dlq replay --queue billing --to exchange --yes', 'all of them, to every service bound to their keys, without asking'],
      ),
    )
    .action((flags: ReplayFlags) => replay(flags, cli));
};

async function replay(flags: ReplayFlags, cli: CliContext): Promise<void> {
  const run = dlqRunOf(flags, cli);
  const ask = requireConsent(cli, flags, 'dlq replay');
  const output = createOutput(cli, run.options.json);
  const where = flags.to === 'queue' ? `queue ${run.queue}` : `exchange ${run.options.exchange}`;
  await withDeadLetters(run, async (dlq) => {
    const consent = {
      dryRun: flags.dryRun === true,
      ask,
      operation: 'replay',
      where,
      question: (count: number) => `Replay ${count} dead letters of ${dlq.deadLetterQueue} to ${where}?`,
    };
    if (!(await goAhead(dlq, run, output, cli, consent))) return;
    const options: DeadLetterReplayOptions = {
      to: flags.to,
      ...(run.filter === undefined ? {} : { filter: run.filter }),
      ...(run.limit === undefined ? {} : { limit: run.limit }),
      ...(flags.window === undefined ? {} : { window: flags.window }),
      publishTimeoutMs: run.options.timeoutMs,
    };
    const done = await replayed(dlq, options, cli, output);
    summary(output, done, where);
  });
}

/** Runs the replay with a progress bar; Ctrl-C stops it (what is not yet removed stays in Q.dlq) and fails the command. */
async function replayed(
  dlq: DeadLetters,
  options: DeadLetterReplayOptions,
  cli: CliContext,
  output: Output,
): Promise<DeadLetterReplayProgress & { seconds: number }> {
  const bar = replayProgressBar(cli, output.json);
  const stop = new AbortController();
  const started = Date.now();
  let last: DeadLetterReplayProgress = { replayed: 0, skipped: 0, failed: 0, total: 0 };
  try {
    await new Promise<void>((resolve, reject) => {
      const subscription = dlq.replay(options).subscribe({
        next: (progress) => {
          last = progress;
          bar.update(progress);
        },
        error: reject,
        complete: resolve,
      });
      void cli.stopRequested(stop.signal).then((signal) => {
        subscription.unsubscribe();
        reject(
          new ConnectionError(
            ErrorCode.CLOSED,
            `replay stopped by ${signal} after ${last.replayed} replayed (${last.skipped} skipped, ${last.failed} failed): the others stay in ${dlq.deadLetterQueue}; run it again for them`,
          ),
        );
      });
    });
  } finally {
    stop.abort();
    bar.stop();
  }
  return { ...last, seconds: (Date.now() - started) / 1000 };
}

function summary(output: Output, done: DeadLetterReplayProgress & { seconds: number }, where: string): void {
  const { replayed, skipped, failed, total, seconds, ratePerSec: rate = 0 } = done;
  if (output.json) {
    output.record({ replayed, skipped, failed, total, to: where, durationMs: Math.round(seconds * 1000), ratePerSec: rate });
    return;
  }
  const { green, yellow, red } = output.colors;
  output.line(
    `${green(`replayed ${replayed}`)} to ${where}, ${skipped > 0 ? yellow(`skipped ${skipped}`) : 'skipped 0'}, ` +
      `${failed > 0 ? red(`failed ${failed}`) : 'failed 0'} (of ${total} read) in ${durationText(seconds)}, ${rate}/s`,
  );
  if (failed > 0)
    output.note(`dlq replay: ${failed} could not be routed (no queue bound to their key?): they stay in the dead-letter queue`);
}
