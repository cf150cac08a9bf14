import { ConfigError, ErrorCode } from '../errors.js';
import { type CliCommand, examples } from './cli-command.js';
import type { CliContext } from './cli-context.js';
import { entryRecord, entryText, fullEntryRecord, listTable } from './dead-letter-output.js';
import { type DlqFlags, dlqRunOf, withDeadLetters, withDlqOptions } from './dlq-options.js';
import { createOutput } from './output.js';

const DEFAULT_LIMIT = 100;

/** `rx-pubsub dlq ls --queue Q`: the first dead letters, one line each. */
export const dlqListCommand: CliCommand = (dlq, cli) => {
  withDlqOptions(
    dlq
      .command('ls')
      .summary('list the dead letters, head first, one line each')
      .description(
        'list the dead letters of Q (in Q.dlq), head (oldest) first: position, id, routing key, time of the last failure, attempts and error. ' +
          'The queue keeps its order (on a quorum queue each read counts one delivery).',
      ),
    { limit: `list at most n (default ${DEFAULT_LIMIT})` },
  )
    .addHelpText(
      'after',
      examples(
        ['dlq ls --queue billing', `the first ${DEFAULT_LIMIT} dead letters of billing.dlq`],
        ['dlq ls --queue billing --error timeout --limit 10', 'the first 10 whose error matches /timeout/'],
        ['dlq ls --queue billing --json | jq -r .messageId', 'one JSON line per dead letter (NDJSON)'],
      ),
    )
    .action((flags: DlqFlags) => list(flags, cli));
};

/** `rx-pubsub dlq show <id> --queue Q`: one dead letter in full. */
export const dlqShowCommand: CliCommand = (dlq, cli) => {
  withDlqOptions(
    dlq
      .command('show')
      .summary('show one dead letter in full: headers, history, body')
      .description(
        'show the dead letter of Q.dlq with this message id (the event id) in full: why it failed, its history, headers and body',
      )
      .argument('<messageId>', 'the message id (for an event: its id)'),
    false,
  )
    .addHelpText(
      'after',
      examples(
        ['dlq show 17cebb3e-6fd7-42b7-8b16-146a91208637 --queue billing', 'that dead letter of billing.dlq'],
        ['dlq show "$ID" --queue billing --json', 'as one JSON object'],
      ),
    )
    .action((messageId: string, flags: DlqFlags) => show(messageId, flags, cli));
};

async function list(flags: DlqFlags, cli: CliContext): Promise<void> {
  const run = dlqRunOf(flags, cli);
  const output = createOutput(cli, run.options.json);
  const limit = run.limit ?? DEFAULT_LIMIT;
  const entries = await withDeadLetters(run, (dlq) => dlq.peek({ limit, ...(run.filter === undefined ? {} : { filter: run.filter }) }));
  if (output.json) for (const entry of entries) output.record(entryRecord(entry));
  else output.line(listTable(output, entries));
  if (entries.length === limit) output.note(`dlq ls: the first ${limit}; --limit shows more`);
}

async function show(messageId: string, flags: DlqFlags, cli: CliContext): Promise<void> {
  const run = dlqRunOf(flags, cli);
  const output = createOutput(cli, run.options.json);
  await withDeadLetters(run, async (dlq) => {
    const [entry] = await dlq.peek({ filter: { messageId }, limit: 1 });
    if (entry === undefined)
      throw new ConfigError(ErrorCode.INVALID_ARGUMENT, `no dead letter with message id ${messageId} in ${dlq.deadLetterQueue}`);
    if (output.json) output.record(fullEntryRecord(entry));
    else output.line(entryText(output, entry));
  });
}
