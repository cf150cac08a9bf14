import type { Wire } from './bench-event.js';

/** The scenarios, in the order a round runs them. */
export const SCENARIOS = ['publish', 'wire-cost', 'consume', 'latency', 'memory-routing', 'rss-over-time'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** What the runner asks one child process to do. */
export interface Job {
  /** raw amqplib: the AMQP properties it publishes with. */
  readonly wire: Wire;
  /** The broker's process (beam.smp) when it runs on this machine: its CPU time over the timed part is measured too. */
  readonly brokerPid: number | undefined;
  readonly scenario: Scenario;
  readonly client: string;
  /** Shown next to the client in the table: `3 handlers`, `noDelay`, `100 patterns`, ... */
  readonly variant: string;
  readonly url: string;
  readonly exchange: string;
  readonly queue: string;
  readonly count: number;
  readonly window: number;
  readonly prefetch: number;
  readonly noDelay: boolean;
  /** Whether the client consumes in this scenario (a publish-only rx-pubsub bus has no queue). */
  readonly consumes: boolean;
  readonly patterns: readonly string[];
  /** latency: events per second, for `seconds`. */
  readonly rate: number;
  readonly seconds: number;
  /** rss-over-time: how long each handler takes. */
  readonly handlerMs: number;
  /** rss-over-time on memory://: the most events published but not yet handled. */
  readonly backlog: number;
  /**
   * memory-routing: how the queue is filled. `bus`: published by an rx-pubsub
   * bus in this process, as an application on memory:// does (its bodies are
   * decoded once); `json`: JSON bodies from another client, parsed per delivery.
   */
  readonly prefill: 'bus' | 'json';
}

/** What a child prints, as one JSON line after {@link RESULT_PREFIX}. */
export interface Result {
  readonly messages: number;
  readonly seconds: number;
  readonly msgPerSec: number;
  readonly cpuUsPerMsg: number;
  /** The broker's CPU (user + system of its process) over the timed part, per message; when it runs on this machine. */
  readonly brokerCpuUsPerMsg?: number | undefined;
  readonly peakRssMb: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly maxMs?: number;
  /** rss-over-time: RSS in MB, sampled every second. */
  readonly rssSamplesMb?: readonly number[];
  readonly note?: string;
}

export const RESULT_PREFIX = 'BENCH_RESULT ';
/** Printed after the result once the client closed: `BENCH_CLOSED {"error"?: string}`. */
export const CLOSED_PREFIX = 'BENCH_CLOSED ';

/** A scenario's figures, and how to close what it opened (reported apart: a crash in close() keeps the figures). */
export interface Measured {
  readonly result: Result;
  close(): Promise<void>;
}

/** Messages between the runner and a child over the IPC channel. */
export type ChildMessage = { readonly type: 'ready' };
export type RunnerMessage = { readonly type: 'go' };

/** Untimed publishes before the timed ones in the publish scenario (they land in the queue too). */
export function publishWarmup(count: number): number {
  return Math.min(2_000, Math.ceil(count / 10));
}
