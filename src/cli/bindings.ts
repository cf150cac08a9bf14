import { compilePattern } from '../blocks.js';
import { type BindingDecision, planBindings } from './binding-plan.js';
import { type CliCommand, examples } from './cli-command.js';
import type { CliContext } from './cli-context.js';
import { brokerOptionsOf, type CommonFlags, withBrokerOptions } from './cli-options.js';
import { managementApi, type QueueBinding } from './management-api.js';
import { createOutput, type Output, renderTable } from './output.js';
import { fromArgument, usage } from './usage-error.js';

interface BindingsFlags extends CommonFlags {
  readonly queue: string;
  readonly keep?: string[];
  readonly prune?: boolean;
  readonly managementUrl: string;
}

/** `rx-pubsub bindings --queue Q [--keep <pattern...> [--prune]]`: a queue's bindings, and the explicit clean-up of stale ones. */
export const bindingsCommand: CliCommand = (program, cli) => {
  withBrokerOptions(
    program
      .command('bindings')
      .summary("list a queue's bindings; prune those no pattern needs")
      .description(
        "list a queue's bindings from the exchange; with --keep, which of them the kept patterns need; with --prune, remove the others. " +
          "A bus never removes a binding from a shared queue on its own: this is how stale ones go. Needs RabbitMQ's management plugin.",
      )
      .requiredOption('--queue <name>', 'the service queue')
      .option('--keep <pattern...>', 'the patterns the service still handles (each bound by its narrowest keys)')
      .option('--prune', 'remove the bindings that no --keep pattern needs')
      .option(
        '--management-url <url>',
        'the management HTTP API; logs in as the user of --url unless this URL names one',
        'http://localhost:15672',
      ),
  )
    .addHelpText(
      'after',
      examples(
        ['bindings --queue billing', 'the bindings of billing from the exchange "events"'],
        ["bindings --queue billing --keep 'order.*' 'user.created'", 'which of them these patterns need (nothing removed)'],
        ["bindings --queue billing --keep 'order.*' 'user.created' --prune", 'remove the others'],
      ),
    )
    .action((flags: BindingsFlags) => bindings(flags, cli));
};

async function bindings(flags: BindingsFlags, cli: CliContext): Promise<void> {
  const options = brokerOptionsOf(flags, cli);
  if (flags.prune === true && flags.keep === undefined) usage('--prune needs --keep <pattern...>: the patterns whose bindings stay');
  const keep = flags.keep?.map((source) => fromArgument(`--keep ${source}`, () => compilePattern(source)));
  const output = createOutput(cli, options.json);
  const api = managementApi(flags.managementUrl, options.url, options.timeoutMs);
  const found = (await api.bindings(flags.queue)).filter((binding) => binding.exchange === options.exchange);
  if (keep === undefined) {
    showList(found, output);
    return;
  }
  const plan = planBindings(found, keep);
  const removed = new Set<QueueBinding>();
  if (flags.prune === true) {
    for (const { binding, neededBy } of plan) {
      if (neededBy.length > 0) continue;
      await api.unbind(binding);
      removed.add(binding);
    }
  }
  showPlan(plan, removed, flags.prune === true, output);
}

function showList(found: readonly QueueBinding[], output: Output): void {
  if (output.json) {
    for (const binding of found) output.record(recordOf(binding));
    return;
  }
  const rows = found.map((binding) => [binding.exchange, binding.routingKey, argumentsOf(binding)]);
  output.line(renderTable(output, ['exchange', 'routing key', 'arguments'], rows));
}

function showPlan(plan: readonly BindingDecision[], removed: ReadonlySet<QueueBinding>, pruned: boolean, output: Output): void {
  const unneeded = plan.filter(({ neededBy }) => neededBy.length === 0).length;
  if (output.json) {
    for (const { binding, neededBy } of plan) output.record({ ...recordOf(binding), neededBy, removed: removed.has(binding) });
  } else {
    const { green, red, yellow } = output.colors;
    const rows = plan.map(({ binding, neededBy }) => [
      binding.exchange,
      binding.routingKey,
      neededBy.length > 0 ? neededBy.join(' ') : '-',
      neededBy.length > 0 ? green('keep') : removed.has(binding) ? red('removed') : yellow('remove'),
    ]);
    output.line(renderTable(output, ['exchange', 'routing key', 'needed by', 'action'], rows));
  }
  output.note(
    pruned
      ? `bindings: removed ${removed.size} of ${plan.length}`
      : `bindings: ${unneeded} of ${plan.length} not needed${unneeded > 0 ? ' (add --prune to remove them)' : ''}`,
  );
}

function recordOf(binding: QueueBinding): Record<string, unknown> {
  return { exchange: binding.exchange, queue: binding.queue, routingKey: binding.routingKey, arguments: binding.arguments };
}

function argumentsOf(binding: QueueBinding): string {
  return Object.keys(binding.arguments).length === 0 ? '' : JSON.stringify(binding.arguments);
}
