import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigError, createEvent, ErrorCode, type Event, EventBus } from '../index.js';
import { messageOf } from '../errors.js';
import { type CliCommand, examples } from './cli-command.js';
import type { CliContext } from './cli-context.js';
import { brokerOptionsOf, type CommonFlags, withBrokerOptions } from './cli-options.js';
import { createOutput, type Output } from './output.js';
import { fromArgument, usage } from './usage-error.js';

interface PublishFlags extends CommonFlags {
  readonly data?: string;
  readonly file?: string;
  readonly correlationId?: string;
}

/** Publishes from stdin awaiting confirms this many at a time: a pipe of events goes out at the broker's pace, ids in order. */
const WINDOW = 64;

/** `rx-pubsub publish <domain.action>`: one event, or one per NDJSON line of stdin, each confirmed. */
export const publishCommand: CliCommand = (program, cli) => {
  withBrokerOptions(
    program
      .command('publish')
      .summary('publish events, confirmed; prints their ids')
      .description("publish an event and wait for the broker's confirm; prints its id (with -, one event per NDJSON line of stdin)")
      .argument('<domain.action>', 'the routing key: the domain and action of the event')
      .argument('[-]', 'read the data of one event per line (NDJSON) from stdin')
      .option('--data <json>', "the event's data, as JSON (default: {})")
      .option('--file <path>', "read the event's data, one JSON document, from a file")
      .option('--correlation-id <id>', 'the correlationId of the event(s)'),
  )
    .addHelpText(
      'after',
      examples(
        [`publish order.created --data '{"order_id":"A1"}'`, 'one event; prints its id'],
        ['publish order.created --file order.json', 'the data from a file'],
        ['publish user.registered - < users.ndjson', 'one event per line of data'],
      ),
    )
    .action((routingKey: string, dash: string | undefined, flags: PublishFlags) => publish(routingKey, dash, flags, cli));
};

async function publish(routingKey: string, dash: string | undefined, flags: PublishFlags, cli: CliContext): Promise<void> {
  const options = brokerOptionsOf(flags, cli);
  if (dash !== undefined && dash !== '-') usage(`unexpected argument ${dash}: give - to read NDJSON from stdin`);
  if ([flags.data, flags.file, dash].filter((source) => source !== undefined).length > 1) usage('give one of --data, --file or -');
  const make = eventMaker(routingKey, flags.correlationId);
  const events = dash === undefined ? [await oneEvent(flags, cli, make)] : stdinEvents(cli, make);
  const output = createOutput(cli, options.json);
  const bus = await EventBus.connect({
    url: options.url,
    exchange: options.exchange,
    connectTimeoutMs: options.timeoutMs,
    publishTimeoutMs: options.timeoutMs,
    connectionName: 'rx-pubsub publish',
  });
  try {
    await publishAll(bus, events, output);
  } finally {
    await bus.close({ timeoutMs: options.timeoutMs });
  }
}

/** Events of `routingKey` from their data; the routing key is checked at once (by createEvent), before anything is read. */
function eventMaker(routingKey: string, correlationId: string | undefined): (data: unknown) => Event {
  const [domain = '', action, ...rest] = routingKey.split('.');
  if (action === undefined || rest.length > 0) usage(`${routingKey} is not a routing key: give domain.action, as order.created`);
  const fields = correlationId === undefined ? {} : { correlationId };
  const make = (data: unknown): Event => createEvent({ domain, action, data, ...fields }) as Event;
  fromArgument(routingKey, () => make({}));
  return make;
}

async function oneEvent(flags: PublishFlags, cli: CliContext, make: (data: unknown) => Event): Promise<Event> {
  if (flags.file === undefined) return fromArgument('--data', () => make(parseJson(flags.data ?? '{}')));
  let text: string;
  try {
    text = await readFile(resolve(cli.cwd, flags.file), 'utf8');
  } catch (error) {
    usage(`--file ${flags.file}: cannot read it (${messageOf(error)})`);
  }
  return fromArgument(`--file ${flags.file}`, () => make(parseJson(text)));
}

/** Each non-blank line of stdin, as the data of one event. A bad line fails the run (exit 1): the events before it went out. */
async function* stdinEvents(cli: CliContext, make: (data: unknown) => Event): AsyncGenerator<Event> {
  let number = 0;
  for await (const line of createInterface({ input: cli.stdin, crlfDelay: Infinity })) {
    number++;
    if (line.trim() === '') continue;
    try {
      yield make(parseJson(line));
    } catch (error) {
      throw new ConfigError(ErrorCode.INVALID_DATA, `stdin line ${number}: ${messageOf(error)}`, { cause: error });
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(ErrorCode.INVALID_DATA, `not JSON (${messageOf(error)})`, { cause: error });
  }
}

/**
 * Publishes every event, up to {@link WINDOW} awaiting their confirms, and
 * prints each id once confirmed, in order. The first refusal stops the run.
 */
async function publishAll(bus: EventBus, events: Iterable<Event> | AsyncIterable<Event>, output: Output): Promise<void> {
  const pending: { readonly event: Event; readonly confirmed: Promise<void> }[] = [];
  const report = async (): Promise<void> => {
    const next = pending.shift();
    if (next === undefined) return;
    await next.confirmed;
    if (output.json)
      output.record({ id: next.event.id, routingKey: `${next.event.domain}.${next.event.action}`, timestamp: next.event.timestamp });
    else output.line(next.event.id);
  };
  try {
    for await (const event of events) {
      const confirmed = bus.publish(event);
      confirmed.catch(() => {}); // awaited in order by report(); after a failure, by nobody
      pending.push({ event, confirmed });
      if (pending.length >= WINDOW) await report();
    }
  } finally {
    // Confirms already asked for are reported even when reading stdin failed.
    while (pending.length > 0) await report();
  }
}
