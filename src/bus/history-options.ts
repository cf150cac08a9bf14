/* eslint-disable @typescript-eslint/no-unnecessary-condition -- this file validates options from untyped (JavaScript) callers:
   the checks the types call impossible are its job. */
import { ConfigError, ErrorCode, show } from '../errors.js';
import { maxAgeMs } from '../transport/history-topology.js';
import type { HistorySpec } from '../transport/transport.js';

export type { HistorySpec };

/**
 * The event history that `replay$` reads: a RabbitMQ stream (`x-queue-type:
 * stream`) bound to the exchange with `#`, so it keeps every event published
 * there, for every reader, until its retention drops it. On `memory://`, an
 * in-process log with the same semantics.
 *
 * Retention: RabbitMQ deletes whole segments (`maxSegmentSizeBytes`, 500 MB by
 * default) once the newest event of one is past `maxAge` or the stream is past
 * `maxLengthBytes`, so a quiet stream keeps its events longer than `maxAge`.
 * Every bus declares the stream with these arguments: another bus (or an
 * operator) that declared it otherwise makes `connect` fail with `TOPOLOGY_FAILED`.
 *
 * @example
 * const bus = await EventBus.connect({ url, history: { stream: 'events.history', maxAge: '7D' } });
 */
export interface HistoryOptions {
  /** The stream's name. @default `${exchange}.history` */
  readonly stream?: string;
  /**
   * How long events are kept (`x-max-age`): a number and a unit, Y, M (30 days), D, h, m or s.
   * A stream without a limit grows until the broker's disk alarm stops every publisher.
   * @default '7D'
   */
  readonly maxAge?: string;
  /** The stream's size limit in bytes (`x-max-length-bytes`): past it, the oldest segments go. @default none */
  readonly maxLengthBytes?: number;
  /** The size of a segment, the unit retention deletes (`x-stream-max-segment-size-bytes`). @default RabbitMQ's, 500 MB */
  readonly maxSegmentSizeBytes?: number;
}

const KNOWN = ['stream', 'maxAge', 'maxLengthBytes', 'maxSegmentSizeBytes'];
const NAME = /^[A-Za-z0-9_.:-]{1,200}$/;
/** RabbitMQ refuses a larger `x-stream-max-segment-size-bytes`. */
const MAX_SEGMENT_BYTES = 3_000_000_000;

/**
 * The `history` option checked, with its defaults.
 *
 * @throws {ConfigError} `INVALID_OPTIONS`, naming the field and the fix.
 */
export function historyOf(value: HistoryOptions, exchange: string, queue: string | undefined): HistorySpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('history', "must be an object such as { maxAge: '7D' }");
  }
  for (const key of Object.keys(value)) {
    if (!KNOWN.includes(key)) fail(`history.${key}`, `is not a history option; use ${KNOWN.join(', ')}`);
  }
  const stream = value.stream ?? `${exchange}.history`;
  if (typeof stream !== 'string' || !NAME.test(stream) || stream.startsWith('amq.')) {
    fail(
      'history.stream',
      `must be 1-200 characters of letters, digits, "_", ".", ":" or "-", not starting with "amq." (got ${show(stream)})`,
    );
  }
  if (queue !== undefined && (stream === queue || stream.startsWith(`${queue}.`))) {
    fail('history.stream', `must not be the service queue "${queue}" or one of its queues (${queue}.dlq, ${queue}.retry.*)`);
  }
  const maxAge = value.maxAge ?? '7D';
  if (typeof maxAge !== 'string' || maxAgeMs(maxAge) === undefined) {
    fail('history.maxAge', `must be a number and a unit Y, M, D, h, m or s, such as '7D' or '12h' (got ${show(maxAge)})`);
  }
  return {
    exchange,
    stream,
    maxAge,
    maxLengthBytes: bytes('history.maxLengthBytes', value.maxLengthBytes, Number.MAX_SAFE_INTEGER),
    maxSegmentSizeBytes: bytes('history.maxSegmentSizeBytes', value.maxSegmentSizeBytes, MAX_SEGMENT_BYTES),
  };
}

function bytes(option: string, value: unknown, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > max) {
    fail(option, `must be a whole number of bytes from 1 to ${max} (got ${show(value)})`);
  }
  return value as number;
}

function fail(option: string, problem: string): never {
  throw new ConfigError(ErrorCode.INVALID_OPTIONS, `EventBus option ${option} ${problem}`);
}
