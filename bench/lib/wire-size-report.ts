import type { MachineInfo } from './machine.js';
import type { Throughput } from './measure.js';
import { median } from './report.js';
import type { PublishBytes } from './wire-bytes.js';

/** The rows of `npm --prefix bench run wire-size`, in the order a round runs them (reversed every other round). */
export const WIRE_SIZE_GROUPS = ['baseline', 'size', 'names', 'id'] as const;
export type WireSizeGroup = (typeof WIRE_SIZE_GROUPS)[number];

/** One way of publishing the bench event, with its bytes on the wire (message 0's, as amqplib encodes them). */
export interface WireSizeVariant {
  readonly name: string;
  readonly group: WireSizeGroup;
  readonly routingKey: string;
  /** Characters added to the exchange's name (which travels in every basic.publish). */
  readonly exchangePad: number;
  /** `naive`: persistent + contentType (+ a correlationId to pad to `pad` bytes); `ours`: the contract's properties. */
  readonly format: 'naive' | 'ours';
  /** The event id and messageId: a UUID (36 chars), or 16 random bytes in base64url (22 chars). */
  readonly id: 'uuid' | 'short';
  /** The property block's size this row is padded to, if it is. */
  readonly pad?: number;
  readonly bytes: PublishBytes;
}

export interface WireSizeRun {
  readonly round: number;
  readonly variant: string;
  readonly result?: Throughput;
  readonly error?: string;
  /** Round 1: the off-heap binaries the queue's process referenced after the run (`queueBinaries`) ÷ the messages it held. */
  readonly queueBinariesPerMsg?: number;
}

export interface WireSizeRow {
  readonly variant: string;
  readonly rounds: number;
  readonly failed: number;
  readonly msgPerSec?: number;
  /** msg/s ÷ naive's in the same round, median over rounds. */
  readonly ratio?: number;
  readonly brokerCpuUsPerMsg?: number;
  readonly brokerRatio?: number;
  readonly cpuUsPerMsg?: number;
  readonly queueBinariesPerMsg?: number;
}

export interface WireSizeResults {
  readonly started: string;
  readonly seconds: number;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly loadAverageAtEnd: readonly number[];
  readonly config: { readonly rounds: number; readonly count: number; readonly warmup: number; readonly window: number };
  /** The broker's CPU while nothing was sent, µs per second, measured before each round. */
  readonly brokerIdleUsPerSec: readonly (number | undefined)[];
  readonly variants: readonly WireSizeVariant[];
  readonly rows: readonly WireSizeRow[];
  /** The largest rise in broker CPU per message between neighbouring sizes of the sweep (naive and the padded rows). */
  readonly step?: { readonly below: number; readonly above: number; readonly fromUs: number; readonly toUs: number };
  readonly runs: readonly WireSizeRun[];
}

/** Medians per variant, and ratios to naive taken in the same round. */
export function summarizeWireSize(variants: readonly WireSizeVariant[], runs: readonly WireSizeRun[]): WireSizeRow[] {
  const naive = new Map(runs.filter((r) => r.variant === 'naive' && r.result).map((r) => [r.round, r.result as Throughput]));
  return variants.map(({ name }) => {
    const mine = runs.filter((r) => r.variant === name);
    const ok = mine.flatMap((r) => (r.result ? [{ round: r.round, result: r.result }] : []));
    const ratios = (f: (t: Throughput) => number | undefined) =>
      median(ok.map(({ round, result }) => {
        const base = naive.get(round);
        const [mineValue, baseValue] = [f(result), base && f(base)];
        return mineValue === undefined || baseValue === undefined ? NaN : mineValue / baseValue;
      }));
    return {
      variant: name,
      rounds: ok.length,
      failed: mine.length - ok.length,
      msgPerSec: median(ok.map((r) => r.result.msgPerSec)),
      ratio: ratios((t) => t.msgPerSec),
      brokerCpuUsPerMsg: median(ok.map((r) => r.result.brokerCpuUsPerMsg ?? NaN)),
      brokerRatio: ratios((t) => t.brokerCpuUsPerMsg),
      cpuUsPerMsg: median(ok.map((r) => r.result.cpuUsPerMsg)),
      queueBinariesPerMsg: median(mine.map((r) => r.queueBinariesPerMsg ?? NaN)),
    };
  });
}

/** Where the sweep's broker CPU per message rises most from one size to the next. */
export function largestStep(variants: readonly WireSizeVariant[], rows: readonly WireSizeRow[]): WireSizeResults['step'] {
  const us = new Map(rows.map((r) => [r.variant, r.brokerCpuUsPerMsg]));
  const sweep = variants
    .filter((v) => v.name === 'naive' || (v.group === 'size' && v.pad !== undefined))
    .map((v) => ({ size: v.bytes.propertyBlock, us: us.get(v.name) }))
    .filter((p): p is { size: number; us: number } => p.us !== undefined)
    .sort((a, b) => a.size - b.size);
  let step: WireSizeResults['step'];
  for (let i = 1; i < sweep.length; i++) {
    const [a, b] = [sweep[i - 1], sweep[i]] as [{ size: number; us: number }, { size: number; us: number }];
    if (!step || b.us - a.us > step.toUs - step.fromUs) step = { below: a.size, above: b.size, fromUs: a.us, toUs: b.us };
  }
  return step;
}

const fmt = (value: number | undefined, digits = 0): string =>
  value === undefined ? '' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const times = (value: number | undefined): string => (value === undefined ? '' : `${value.toFixed(2)}×`);

/** What the columns mean, under the table. */
const NOTES = [
  'Property block: the encoded property list after the 2-byte property flags (amqplib always sends `headers`, an empty table of 4 bytes).',
  'Flags + properties: what RabbitMQ keeps of the content header as the message\'s properties.',
  'Header payload: the content header frame\'s payload (12 bytes of class, weight and body size before the flags).',
  'Method payload: the basic.publish frame\'s, which holds the exchange\'s name and the routing key.',
  'Padded rows are naive (`persistent`, `contentType`) plus a `correlationId` of the length that gives the block its size.',
  '×naive: ÷ naive\'s figure in the same round, median of the rounds.',
  'Off-heap binaries: after the run of round 1, the reference-counted binaries the queue\'s Erlang process refers to',
  '(`rabbitmqctl eval`, `process_info(Pid, binary)`) ÷ the messages it holds. Erlang copies a binary of up to 64 bytes',
  'onto the heap of the process it is sent to, and keeps a larger one as a reference into the buffer it was cut from.',
  'Every round\'s figures: [wire-size.json](wire-size.json); how it runs: [bench/README.md](../README.md#property-block-size-wire-size).',
];

/** results/wire-size.md. */
export function wireSizeMarkdown(results: WireSizeResults): string {
  const { machine, config } = results;
  const rows = new Map(results.rows.map((r) => [r.variant, r]));
  const idle = results.brokerIdleUsPerSec.map((v) => (v === undefined ? '?' : fmt(v / 1000, 1))).join(', ');
  const lines = [
    '# Publish cost by AMQP property-block size',
    '',
    `${results.started.slice(0, 16).replace('T', ' ')} UTC; commit ${machine.rxPubsub}; ${machine.nproc} cores (${machine.cpu}), Node ${machine.node}, RabbitMQ ${machine.rabbitmq}; load average ${machine.loadAverageAtStart.join(' ')} at the start, ${results.loadAverageAtEnd.join(' ')} at the end; broker at rest ${idle} ms/s (before each round).`,
    '',
    `Command: \`${results.command}\`; ${config.rounds} rounds (order reversed every other round), medians; ${fmt(config.count)} persistent ~200-byte events per row after ${fmt(config.warmup)} untimed, at most ${fmt(config.window)} unconfirmed, raw amqplib (ConfirmChannel), a durable classic queue of its own per row; took ${results.seconds} s.`,
    '',
    '| row | routing key | property block (B) | flags + properties (B) | header payload (B) | method payload (B) | msg/s | ×naive | broker µs/msg | broker ×naive | client µs/msg | off-heap binaries per message in the queue |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...results.variants.map((v) => {
      const r = rows.get(v.name);
      const key = v.routingKey.length > 24 ? `${v.routingKey.slice(0, 12)}… (${v.routingKey.length} chars)` : v.routingKey;
      const failed = r && r.failed > 0 ? ` (${r.failed} failed)` : '';
      return `| ${v.name}${failed} | ${key} | ${v.bytes.propertyBlock} | ${v.bytes.flagsAndProperties} | ${v.bytes.headerPayload} | ${v.bytes.methodPayload} | ${fmt(r?.msgPerSec)} | ${times(r?.ratio)} | ${fmt(r?.brokerCpuUsPerMsg, 1)} | ${times(r?.brokerRatio)} | ${fmt(r?.cpuUsPerMsg, 1)} | ${fmt(r?.queueBinariesPerMsg, 2)} |`;
    }),
    '',
    results.step
      ? `Largest rise of the broker's CPU per message between neighbouring sizes of the sweep: from a ${results.step.below}-byte to a ${results.step.above}-byte property block, ${fmt(results.step.fromUs, 1)} → ${fmt(results.step.toUs, 1)} µs/msg.`
      : 'No sweep step: too few sizes measured.',
    '',
    ...NOTES,
    '',
  ];
  return lines.join('\n');
}
