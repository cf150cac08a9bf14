import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Channel, ConsumeMessage } from 'amqplib';
import { bindingKeysOf, compilePattern, decodeEvent, type Pattern } from '../blocks.js';
import { ConnectionError, ErrorCode, messageOf } from '../errors.js';
import { type BrokerConnection, connectBroker, replyCodeOf } from './broker-connection.js';
import { type CliCommand, examples } from './cli-command.js';
import type { CliContext } from './cli-context.js';
import { brokerOptionsOf, type CommonFlags, withBrokerOptions } from './cli-options.js';
import { eventLine, foreignLine } from './event-line.js';
import { createOutput, type Output } from './output.js';
import { fromArgument, wholeNumber } from './usage-error.js';

interface TailFlags extends CommonFlags {
  readonly count?: number;
}

/** Cancelling the consumer and deleting the queue after Ctrl-C: past this, closing the connection does it. */
const CLEAN_UP_MS = 3_000;
/** A slow terminal must not make the broker hold an unbounded backlog: the oldest are dropped. */
const MAX_BACKLOG = 10_000;

/** `rx-pubsub tail [pattern...]`: live events, one line each, from a temporary queue. */
export const tailCommand: CliCommand = (program, cli) => {
  withBrokerOptions(
    program
      .command('tail')
      .summary('print live events, one line each')
      .description(
        'print live events as they are published: one line each (time, routing key, id, data), or the raw JSON with --json. ' +
          'Reads from a temporary exclusive queue bound with the narrowest keys of the patterns, deleted on Ctrl-C.',
      )
      .argument('[pattern...]', 'globs over the routing key, as bus.handle takes them (default: "*", every event)')
      .option('--count <n>', 'stop after n events', wholeNumber(1)),
  )
    .addHelpText(
      'after',
      examples(
        ['tail', 'every event on the exchange "events" of $AMQP_URL'],
        ["tail 'order.*' '*.created'", 'order events and every created event'],
        ["tail 'user.*' --json | jq .data", 'the data of user events, for a script'],
      ),
    )
    .action((patterns: string[], flags: TailFlags) => tail(patterns, flags, cli));
};

async function tail(sources: readonly string[], flags: TailFlags, cli: CliContext): Promise<void> {
  const options = brokerOptionsOf(flags, cli);
  const patterns = (sources.length === 0 ? ['*'] : sources).map((source) =>
    fromArgument(`pattern ${source}`, () => compilePattern(source)),
  );
  const count = flags.count ?? Infinity;
  const output = createOutput(cli, options.json);
  const broker = await connectBroker(options, 'rx-pubsub tail');
  const stop = new AbortController();
  try {
    const channel = await broker.channel();
    const queue = await temporaryQueue(channel, options.exchange, patterns);
    const reader = await readEvents(channel, queue, patterns, output, count);
    output.note(`tail: ${patterns.map((p) => p.source).join(' ')} on exchange ${options.exchange} (queue ${queue}); Ctrl-C to stop`);
    await Promise.race([reader.done, broker.lost, cli.stopRequested(stop.signal)]);
    reader.stop();
    await cleanUp(channel, reader.consumerTag, queue, broker);
    output.note(`tail: stopped after ${reader.seen()} events; deleted queue ${queue}`);
  } finally {
    stop.abort();
    await broker.close(CLEAN_UP_MS);
  }
}

/**
 * A server-side temporary queue: exclusive (only this connection, deleted
 * when it closes, even on a crash), auto-delete, not durable, bound with
 * each pattern's narrowest AMQP keys (`order.*` → `order.#`).
 */
async function temporaryQueue(channel: Channel, exchange: string, patterns: readonly Pattern[]): Promise<string> {
  try {
    await channel.checkExchange(exchange);
  } catch (error) {
    if (replyCodeOf(error) !== 404) throw error;
    throw new ConnectionError(
      ErrorCode.TOPOLOGY_FAILED,
      `the exchange ${exchange} does not exist on the broker: check --exchange (a bus declares it when it connects)`,
      { cause: error },
    );
  }
  const name = `rx-pubsub-tail-${hostname().slice(0, 64)}-${randomBytes(4).toString('hex')}`;
  const { queue } = await channel.assertQueue(name, {
    exclusive: true,
    autoDelete: true,
    durable: false,
    arguments: { 'x-max-length': MAX_BACKLOG, 'x-overflow': 'drop-head' },
  });
  const keys = new Set(patterns.flatMap((pattern) => bindingKeysOf(pattern.source)));
  for (const key of keys.has('#') ? ['#'] : keys) await channel.bindQueue(queue, exchange, key);
  return queue;
}

interface EventReader {
  readonly consumerTag: string;
  /** Resolves after `count` events; rejects when the broker cancels the consumer. */
  readonly done: Promise<void>;
  seen(): number;
  /** Prints nothing more. */
  stop(): void;
}

async function readEvents(
  channel: Channel,
  queue: string,
  patterns: readonly Pattern[],
  output: Output,
  count: number,
): Promise<EventReader> {
  let seen = 0;
  let stopped = false;
  const { promise: done, resolve: finish, reject: fail } = promiseWithResolvers();
  const onMessage = (message: ConsumeMessage | null): void => {
    if (stopped) return;
    if (message === null) {
      fail(new ConnectionError(ErrorCode.CONNECTION_FAILED, `the broker cancelled the consumer of ${queue}: was the queue deleted?`));
      return;
    }
    // A binding key can be broader than its glob (`o*.created` binds `#.created`): the glob decides.
    if (!patterns.some((pattern) => pattern.test(message.fields.routingKey))) return;
    print(message, output);
    if (++seen >= count) finish();
  };
  const { consumerTag } = await channel.consume(queue, onMessage, { noAck: true, exclusive: true });
  return { consumerTag, done, seen: () => seen, stop: () => (stopped = true) };
}

/** Promise.withResolvers, which Node 20 lacks. */
function promiseWithResolvers(): { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void } {
  let resolve = (): void => {};
  let reject: (error: unknown) => void = () => {};
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

function print(message: ConsumeMessage, output: Output): void {
  const { routingKey } = message.fields;
  const { contentType, contentEncoding } = message.properties as { contentType?: string; contentEncoding?: string };
  if (output.json) return printJson(message, output);
  try {
    output.line(eventLine(decodeEvent(message.content, { routingKey, contentType, contentEncoding }), output.colors, output.columns));
  } catch (error) {
    output.line(
      foreignLine({ routingKey, body: message.content, reason: messageOf(error), at: new Date() }, output.colors, output.columns),
    );
  }
}

/** `--json` prints the body as it came, compacted to one line; a body that is not JSON is noted on stderr. */
function printJson(message: ConsumeMessage, output: Output): void {
  try {
    output.record(JSON.parse(message.content.toString('utf8')));
  } catch {
    output.note(`tail: a message with routing key ${message.fields.routingKey} is not JSON (${message.content.length} bytes); skipped`);
  }
}

/** Cancels the consumer and deletes the queue, bounded: closing the connection deletes an exclusive queue anyway. */
async function cleanUp(channel: Channel, consumerTag: string, queue: string, broker: BrokerConnection): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLEAN_UP_MS)));
  const work = (async () => {
    await channel.cancel(consumerTag);
    await channel.deleteQueue(queue);
  })();
  try {
    await Promise.race([work, late, broker.lost]);
  } catch {
    // The connection is gone: the broker deleted the exclusive queue with it.
  } finally {
    clearTimeout(timer);
    work.catch(() => {});
  }
}
