/** What a chaos service and the run that drives it say to each other (IPC messages, or direct calls in-process). */
import type { BusStats } from '../src/index.js';

/** How to start one service: a bus on its own queue, bound to the run's pattern. */
export interface ServiceConfig {
  readonly name: string;
  /** One broker, or a cluster's nodes. */
  readonly url: string | readonly string[];
  /** Declare the service queue as a quorum queue (a cluster run). */
  readonly quorum: boolean;
  readonly exchange: string;
  readonly queue: string;
  readonly pattern: string;
  readonly prefetch: number;
  readonly reconnectDelayMs: number;
  /** Each handler call waits a random 0..handlerDelayMs ms before it returns. */
  readonly handlerDelayMs: number;
  readonly connectionName: string;
}

/** A state$ change, a log line: something that happened at `at` (`Date.now()`). */
export interface StateChange {
  readonly status: string;
  readonly reason?: string;
  readonly at: number;
}

export interface LogLine {
  readonly level: 'warn' | 'error';
  readonly message: string;
  readonly fields: string;
  readonly at: number;
}

/** Service → run. */
export type ServiceMessage =
  | { readonly type: 'ready'; readonly at: number }
  /** Ids handled since the last batch, and when each handler finished. */
  | { readonly type: 'handled'; readonly ids: readonly string[]; readonly at: readonly number[] }
  | { readonly type: 'state'; readonly change: StateChange }
  | { readonly type: 'log'; readonly line: LogLine }
  | { readonly type: 'closed'; readonly stats: BusStats }
  | { readonly type: 'failed'; readonly error: string };

/** Run → service. */
export type ControlMessage = { readonly type: 'close'; readonly timeoutMs: number };
