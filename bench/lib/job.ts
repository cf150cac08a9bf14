import type { Wire } from './bench-event.js';

/** The scenarios, in the order a round runs them. */
export const SCENARIOS = ['publish', 'wire-cost', 'consume', 'latency', 'memory-routing', 'rss-over-time'] as const;
export type Scenario = (typeof SCENARIOS)[number];
/**
 * What a child process can run: a scenario of `npm run bench`, or the scale
 * run's `shared-consume` (one of several consumers of one queue, stopped by
 * the runner once the queue is drained).
 */
export type ChildScenario = Scenario | 'shared-consume';

/** What the runner asks one child process to do. */
export interface Job {
  /** raw amqplib: the AMQP properties it publishes with. */
  readonly wire: Wire;
  /** The broker's process (beam.smp) when it runs on this machine: its CPU time over the timed part is measured too. */
  readonly brokerPid: number | undefined;
  readonly scenario: ChildScenario;
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
  /** The size the event's JSON is padded to with order lines (`data.items`); 0 for the plain ~200-byte event. */
  readonly eventBytes: number;
  /** The queue's type: raw amqplib's is declared by the runner, rx-pubsub's by its bus (`queueOptions.type`). */
  readonly queueType: 'classic' | 'quorum';
  /** Handlers return a Promise (`async`), as most applications' do; the delivery is acked once all have resolved. */
  readonly asyncHandlers: boolean;
  /**
   * rx-pubsub only: `off` passes `telemetry: false`; `api` (the default) runs with @opentelemetry/api installed and no
   * SDK registered (what most applications have); `sdk` registers the OpenTelemetry SDK first (always-on sampler,
   * batch span processor, metrics), exporting to memory.
   */
  readonly telemetry: 'off' | 'api' | 'sdk';
  /** rx-pubsub only: `publishMany` pipes a generator of the events into `bus.publishAll` (window = `window`) instead of calling `bus.publish` per event. */
  readonly publishAll?: boolean;
  /** raw amqplib only: a Promise per publish (windowed, as rx-pubsub's row), and each message (body and properties) kept until its confirm, as a client that resends after a connection loss must. */
  readonly keepCopies?: boolean;
}

/** What a child prints, as one JSON line after {@link RESULT_PREFIX}. */
export interface Result {
  readonly messages: number;
  readonly seconds: number;
  readonly msgPerSec: number;
  readonly cpuUsPerMsg: number;
  /** The broker's CPU (user + system of its process) over the timed part, per message; when it runs on this machine. */
  readonly brokerCpuUsPerMsg?: number | undefined;
  /** GC pauses of the client's process over the timed part, per message (see `Throughput`). */
  readonly gcUsPerMsg?: number;
  /** How busy the client's event loop was over the timed part, 0..1. */
  readonly loopBusy?: number;
  readonly peakRssMb: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly maxMs?: number;
  /** rss-over-time: RSS in MB, sampled every second. */
  readonly rssSamplesMb?: readonly number[];
  /** shared-consume: this process's CPU (user + system) over the timed part, in µs; the runner adds up the group's. */
  readonly cpuUs?: number;
  /** shared-consume: wall-clock time (ms since 1970, sub-ms precision) of the start of consuming and of the last ack. */
  readonly startedAtMs?: number;
  readonly lastAckAtMs?: number;
  /** shared-consume, the group's result: how many deliveries each process acked. */
  readonly perProcess?: readonly number[];
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
export type ChildMessage = { readonly type: 'ready' } | { readonly type: 'progress'; readonly acked: number };
/** `stop`: shared-consume only, once every consumer's acks add up to the backlog. */
export type RunnerMessage = { readonly type: 'go' } | { readonly type: 'stop' };

/** Untimed publishes before the timed ones in the publish scenario (they land in the queue too). */
export function publishWarmup(count: number): number {
  return Math.min(2_000, Math.ceil(count / 10));
}
