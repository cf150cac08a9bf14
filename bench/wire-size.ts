/**
 * `npm --prefix bench run wire-size`: what the size of a message's AMQP
 * property block costs the broker. Raw amqplib publishes the bench event
 * (persistent, confirmed, at most 1,000 unconfirmed) with naive properties
 * padded by a `correlationId` to a sweep of property-block sizes, with the
 * contract's format, with long exchange names and routing keys at a fixed
 * block, and with a 22-character id for typical routing keys; each row on an
 * exchange and queue of its own, deleted after; interleaved rounds, the order
 * reversed every other round; medians to results/wire-size.json and .md.
 * See README.md ("Property-block size").
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp, { type ConfirmChannel, type Options } from 'amqplib';
import { AmqpAdmin } from './lib/amqp-admin.js';
import { benchEvent, type BenchEvent, ROUTING_KEY } from './lib/bench-event.js';
import { argReader } from './lib/config.js';
import { publishWarmup } from './lib/job.js';
import { brokerPid, loadAverage, machineInfo, warnIfLoaded } from './lib/machine.js';
import { brokerIdleUsPerSec, startTimer, watchBroker } from './lib/measure.js';
import { queueBinaries } from './lib/queue-binaries.js';
import { padProperties, publishBytes } from './lib/wire-bytes.js';
import {
  largestStep, summarizeWireSize, WIRE_SIZE_GROUPS, type WireSizeGroup, type WireSizeResults, type WireSizeRun, type WireSizeVariant, wireSizeMarkdown,
} from './lib/wire-size-report.js';
import { publishConfirmed, sleep } from './lib/window.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const cli = argReader(args, process.env);
const url = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const rounds = Number(cli.flag('rounds') ?? cli.number('WIRE_ROUNDS', 3, 1));
const count = Number(cli.flag('count') ?? cli.number('WIRE_COUNT', 40_000, 10_000));
const WINDOW = 1_000;
const sizes = cli.list(cli.flag('sizes') ?? process.env.BENCH_WIRE_SIZES ?? '40,48,56,60,61,62,63,64,66,70,90').map(Number);
const groups = cli.list(cli.flag('groups') ?? process.env.BENCH_WIRE_GROUPS ?? WIRE_SIZE_GROUPS.join(','));
for (const group of groups) if (!WIRE_SIZE_GROUPS.includes(group as WireSizeGroup)) throw new Error(`unknown group ${group}: use ${WIRE_SIZE_GROUPS.join(', ')}`);
if (![rounds, count].every((n) => Number.isInteger(n) && n > 0)) throw new Error(`--rounds and --count must be positive whole numbers (got ${rounds}, ${count})`);
if (sizes.some((size) => !Number.isInteger(size))) throw new Error(`--sizes must be whole numbers of bytes (got ${sizes.join(',')})`);

const tag = `rxw.${Date.now().toString(36)}`;
const CONTENT_TYPE = 'application/json';
/** `bench.created.kkk…`, `length` characters: around 64, the size up to which Erlang copies a binary onto a process's heap. */
const key = (length: number): string => `${ROUTING_KEY}.${'k'.repeat(length - ROUTING_KEY.length - 1)}`;
/** The contract's block is 68 bytes + the routing key with a UUID, 54 + the routing key with a 22-character id. */
const SHORT_ID_KEYS = ['user.new', 'order.created', 'inventory.reserved'];

type Spec = Omit<WireSizeVariant, 'bytes'>;
/** The bench event, whose id may be the short kind. */
type WireEvent = Omit<BenchEvent, 'id'> & { readonly id: string };

function specs(): Spec[] {
  const plain = { routingKey: ROUTING_KEY, exchangePad: 0, id: 'uuid' } as const;
  const all: Spec[] = [
    { name: 'naive', group: 'baseline', format: 'naive', ...plain },
    { name: 'ours', group: 'baseline', format: 'ours', ...plain },
    ...sizes.map((pad): Spec => ({ name: `block ${pad} B`, group: 'size', format: 'naive', pad, ...plain })),
    { name: 'block 62 B, routing key 64 chars', group: 'names', format: 'naive', pad: 62, ...plain, routingKey: key(64) },
    { name: 'block 62 B, routing key 65 chars', group: 'names', format: 'naive', pad: 62, ...plain, routingKey: key(65) },
    { name: 'block 62 B, exchange name 100 chars', group: 'names', format: 'naive', pad: 62, ...plain, exchangePad: 100 - exchangeOf(plain, 0).length },
    { name: 'block 63 B, routing key 100 chars', group: 'names', format: 'naive', pad: 63, ...plain, routingKey: key(100) },
    ...SHORT_ID_KEYS.map((routingKey): Spec => ({ name: `ours, 22-char id, ${routingKey}`, group: 'id', format: 'ours', ...plain, routingKey, id: 'short' })),
  ];
  return all.filter((s) => s.group === 'baseline' || groups.includes(s.group));
}

/** The bench event with `variant`'s routing key as its `domain.action` and its kind of id. */
function eventFor(variant: Spec, seq: number): WireEvent {
  const dot = variant.routingKey.indexOf('.');
  const id = variant.id === 'short' ? randomBytes(16).toString('base64url') : undefined;
  const event = benchEvent(seq);
  return { ...event, id: id ?? event.id, domain: variant.routingKey.slice(0, dot), action: variant.routingKey.slice(dot + 1) };
}

/** The properties of each message of `variant`: the contract's are per event; naive (padded) ones are one object. */
function propertiesOf(variant: Spec, exchange: string): (event: WireEvent) => Options.Publish {
  if (variant.format === 'ours') {
    return (event) => ({ contentType: CONTENT_TYPE, persistent: true, messageId: event.id, type: variant.routingKey, timestamp: Math.floor(Date.now() / 1000) });
  }
  const naive: Options.Publish = { persistent: true, contentType: CONTENT_TYPE };
  const body = Buffer.from(JSON.stringify(eventFor(variant, 0)));
  const fixed = variant.pad === undefined ? naive : padProperties(exchange, variant.routingKey, body, naive, variant.pad);
  return () => fixed;
}

/** Its serial in three digits, so that every exchange's name has the same length (its pad aside). */
const exchangeOf = (variant: Pick<Spec, 'exchangePad'>, serial: number): string => `${tag}.${String(serial).padStart(3, '0')}${'x'.repeat(variant.exchangePad)}`;

/** `variant`'s bytes on the wire, for message 0; a padded row that misses its size is a bug here, not a figure. */
function withBytes(variant: Spec): WireSizeVariant {
  const exchange = exchangeOf(variant, 0);
  const event = eventFor(variant, 0);
  const bytes = publishBytes(exchange, variant.routingKey, Buffer.from(JSON.stringify(event)), propertiesOf(variant, exchange)(event));
  if (variant.pad !== undefined && bytes.propertyBlock !== variant.pad) throw new Error(`${variant.name}: ${bytes.propertyBlock} bytes, not ${variant.pad}`);
  return { ...variant, bytes };
}

/** `total` confirmed publishes, at most WINDOW unconfirmed, as the bench's raw client publishes. */
function publishMany(channel: ConfirmChannel, variant: Spec, exchange: string, total: number): Promise<void> {
  const properties = propertiesOf(variant, exchange);
  return publishConfirmed(channel, total, WINDOW, (i, done) => {
    const event = eventFor(variant, i);
    return channel.publish(exchange, variant.routingKey, Buffer.from(JSON.stringify(event)), properties(event), done);
  });
}

let serial = 0;
/** Whether the broker runs on this machine (its process found): only then are its CPU and its queues' binaries read. */
let local = false;
/** The BENCH_WIRE_* variables this run was given, for its command line in the results. */
const settings = Object.entries(process.env).flatMap(([name, value]) => (name.startsWith('BENCH_WIRE_') && value ? [`${name}=${value}`] : []));

/** One row in one round: its own exchange and queue, a fresh connection, an untimed warm-up, then `count` timed. */
async function measure(admin: AmqpAdmin, variant: Spec, round: number): Promise<WireSizeRun> {
  const exchange = exchangeOf(variant, ++serial);
  const queue = `${tag}.${serial}.q`;
  const warmup = publishWarmup(count);
  let run: WireSizeRun;
  try {
    await admin.exchange(exchange);
    await admin.queue(queue, exchange, 'classic', variant.routingKey);
    const connection = await amqp.connect(url);
    try {
      const channel = await connection.createConfirmChannel();
      await publishMany(channel, variant, exchange, warmup);
      const stop = startTimer();
      await publishMany(channel, variant, exchange, count);
      run = { round, variant: variant.name, result: stop(count) };
    } finally {
      await connection.close();
    }
  } catch (e) {
    run = { round, variant: variant.name, error: e instanceof Error ? e.message : String(e) };
  }
  // Once per row (round 1): how many binaries outside its heap the queue's process references per message it holds.
  const binaries = round === 1 && local && run.result ? queueBinaries(queue) : undefined;
  if (binaries !== undefined) run = { ...run, queueBinariesPerMsg: binaries / (warmup + count) };
  const left = await admin.remove([queue], exchange);
  if (!run.error && left !== warmup + count) run = { round, variant: variant.name, error: `${left} messages left in the queue, expected ${warmup + count}` };
  await sleep(250);
  return run;
}

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const variants = specs().map(withBytes);
  const admin = new AmqpAdmin(url);
  await admin.connect();
  const pid = brokerPid(url);
  watchBroker(pid);
  local = pid !== undefined;
  const machine = machineInfo(url, admin, join(here, '..'));
  console.log(`wire-size: ${rounds} rounds of ${variants.length} rows, ${count} events each; RabbitMQ ${machine.rabbitmq}, load ${machine.loadAverageAtStart.join(' ')}`);
  warnIfLoaded(machine);
  const runs: WireSizeRun[] = [];
  const idle: (number | undefined)[] = [];
  for (let round = 1; round <= rounds; round++) {
    idle.push(await brokerIdleUsPerSec(1_000));
    for (const variant of round % 2 ? variants : [...variants].reverse()) {
      const run = await measure(admin, variant, round);
      runs.push(run);
      const r = run.result;
      console.log(`[round ${round}] ${variant.name} (${variant.bytes.propertyBlock} B): ${r ? `${Math.round(r.msgPerSec)} msg/s, broker ${r.brokerCpuUsPerMsg?.toFixed(1) ?? '?'} µs/msg` : `FAILED ${run.error}`}`);
    }
  }
  await admin.close();
  const rows = summarizeWireSize(variants, runs);
  const results: WireSizeResults = {
    started: started.toISOString(),
    seconds: Math.round((performance.now() - t0) / 1000),
    command: [...settings, 'npm --prefix bench run wire-size', ...(args.length > 0 ? ['--', ...args] : [])].join(' '),
    machine,
    loadAverageAtEnd: loadAverage(),
    config: { rounds, count, warmup: publishWarmup(count), window: WINDOW },
    brokerIdleUsPerSec: idle,
    variants,
    rows,
    step: largestStep(variants, rows),
    runs,
  };
  const dir = join(here, 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'wire-size.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(dir, 'wire-size.md'), wireSizeMarkdown(results));
  console.log(`\n${wireSizeMarkdown(results)}\nWrote bench/results/wire-size.json and wire-size.md (${results.seconds} s)`);
  if (runs.some((run) => run.error)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
