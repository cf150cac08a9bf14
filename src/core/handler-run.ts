import type { SchedulerLike } from 'rxjs';
import { ConfigError, ErrorCode } from '../errors.js';
import type { Event } from '../event/event.js';
import type { PublishOptions } from '../transport/publish-options.js';
import type { Delivery } from '../transport/transport.js';
import type { PublishableEvent } from '../typing/catalog-event.js';
import { guardedAbortController } from './guarded-signal.js';
import type { HandlerContext } from './handler-context.js';
import type { HandlerTiming } from './outcome.js';

/** Publishes for a handler's context: the bus's `publish`, checks and all. */
export type Publisher = (event: unknown, options?: PublishOptions) => Promise<void>;

/** What a run knows of its delivery: the same for every handler of it. */
export type DeliveryFacts = Pick<Delivery, 'properties' | 'redelivered'>;

/** What a run allocates only when it is asked for (see {@link HandlerRun}). */
interface Lazy {
  controller?: AbortController;
  aborted?: boolean;
  reason?: unknown;
  headers?: Readonly<Record<string, unknown>>;
  publish?: HandlerContext['publish'];
}

/**
 * One handler run: the {@link HandlerContext} the handler gets, and what the
 * pipeline records of the run (its timing, the abort). Built per handler run
 * on the hot path, so it holds no number (V8 would box it) and allocates
 * nothing more until the handler reads a field that needs it: the
 * AbortController on the first read of `signal`, the headers' copy on the
 * first read of `headers`, the bound `publish` on its first read (a handler
 * may destructure it).
 */
export class HandlerRun implements HandlerContext {
  /** Set once the handler finished (succeeded, failed or timed out). */
  timing: HandlerTiming | undefined = undefined;
  private lazy: Lazy | undefined = undefined;

  constructor(
    readonly pattern: string,
    readonly event: Event,
    readonly attempt: number,
    private readonly delivery: DeliveryFacts | undefined,
    private readonly publisher: Publisher | undefined,
  ) {}

  get signal(): AbortSignal {
    const lazy = (this.lazy ??= {});
    if (lazy.controller === undefined) {
      lazy.controller = guardedAbortController();
      if (lazy.aborted === true) lazy.controller.abort(lazy.reason);
    }
    return lazy.controller.signal;
  }

  get redelivered(): boolean {
    return this.delivery?.redelivered ?? false;
  }

  get headers(): Readonly<Record<string, unknown>> {
    const lazy = (this.lazy ??= {});
    return (lazy.headers ??= frozenCopy(this.delivery?.properties.headers ?? {}, 0) as Readonly<Record<string, unknown>>);
  }

  get publish(): HandlerContext['publish'] {
    const lazy = (this.lazy ??= {});
    return (lazy.publish ??= (event, options) => this.publishCaused(event, options));
  }

  /** Aborts the signal (made now only if the handler already read it); the first reason stays. */
  abort(reason: unknown): void {
    const lazy = (this.lazy ??= {});
    if (lazy.aborted === true) return;
    lazy.aborted = true;
    lazy.reason = reason;
    lazy.controller?.abort(reason);
  }

  /** Records how the run went: `startedAt` from {@link clockOf}, read again now. */
  finished(startedAt: number, failed: boolean, scheduler: SchedulerLike | undefined): void {
    this.timing = { pattern: this.pattern, durationMs: clockOf(scheduler) - startedAt, failed };
  }

  private publishCaused(event: PublishableEvent<Event>, options: PublishOptions | undefined): Promise<void> {
    if (this.publisher === undefined) {
      return Promise.reject(new ConfigError(ErrorCode.INVALID_ARGUMENT, 'context.publish(): this pipeline was given no publish'));
    }
    return this.publisher(causedBy(event, this.event), options);
  }
}

/** The pipeline's clock: the scheduler's (virtual time in tests), else `performance.now()`. */
export function clockOf(scheduler: SchedulerLike | undefined): number {
  return scheduler ? scheduler.now() : performance.now();
}

/**
 * `event` with `correlationId` (the cause's, or the cause's id when it starts
 * a chain) and `causationId` (the cause's id), unless it has its own. Anything
 * that is not an event, or cannot be read, goes on as it is: publish refuses
 * it with its usual typed error.
 */
function causedBy(event: unknown, cause: Event): unknown {
  if (typeof event !== 'object' || event === null) return event;
  try {
    const { correlationId, causationId } = event as Partial<Event>;
    if (correlationId !== undefined && causationId !== undefined) return event;
    return { ...event, correlationId: correlationId ?? cause.correlationId ?? cause.id, causationId: causationId ?? cause.id };
  } catch {
    return event;
  }
}

/** Past this depth a header value is left out of the copy (headers arrive nested a few levels at most). */
const MAX_COPY_DEPTH = 64;

/** A deep copy, frozen: what a handler reads can be changed by no one, and changes nothing. */
function frozenCopy(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_COPY_DEPTH) return undefined;
  // Bytes cannot be frozen: a copy of them is the handler's own.
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (value instanceof Date) return Object.freeze(new Date(value.getTime()));
  if (Array.isArray(value)) return Object.freeze(value.map((item) => frozenCopy(item, depth + 1)));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = frozenCopy(item, depth + 1);
  return Object.freeze(copy);
}
