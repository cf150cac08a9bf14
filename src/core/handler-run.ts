import type { SchedulerLike } from 'rxjs';
import { ConfigError, ErrorCode } from '../errors.js';
import type { Event } from '../event/event.js';
import type { PublishOptions } from '../transport/publish-options.js';
import type { Delivery } from '../transport/transport.js';
import type { PublishableEvent } from '../typing/catalog-event.js';
import { guardedAbortController } from './guarded-signal.js';
import type { HandlerContext } from './handler-context.js';

/** Publishes for a handler's context: the bus's `publish`, checks and all. */
export type Publisher = (event: unknown, options?: PublishOptions) => Promise<void>;

/** What a run knows of its delivery: the same for every handler of it. */
export type DeliveryFacts = Pick<Delivery, 'properties' | 'redelivered'>;

/**
 * One handler run: the {@link HandlerContext} the handler gets, and what the
 * pipeline records of the run (its duration, the abort). Built per handler
 * run on the hot path, so it allocates nothing more until the handler reads a
 * field that needs it: the AbortController on the first read of `signal`,
 * the headers' copy on the first read of `headers`, the bound `publish` on its
 * first read (a handler may destructure it).
 */
export class HandlerRun implements HandlerContext {
  /** When the handler was called, on the pipeline's clock. */
  startedAt = 0;
  /** How long it ran, once it finished (succeeded, failed or timed out). */
  durationMs = 0;
  private controller: AbortController | undefined;
  private aborted = false;
  private reason: unknown;
  private copiedHeaders: Readonly<Record<string, unknown>> | undefined;
  private boundPublish: HandlerContext['publish'] | undefined;

  constructor(
    readonly pattern: string,
    readonly event: Event,
    readonly attempt: number,
    private readonly delivery: DeliveryFacts | undefined,
    private readonly publisher: Publisher | undefined,
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = guardedAbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  get redelivered(): boolean {
    return this.delivery?.redelivered ?? false;
  }

  get headers(): Readonly<Record<string, unknown>> {
    return (this.copiedHeaders ??= frozenCopy(this.delivery?.properties.headers ?? {}, 0) as Readonly<Record<string, unknown>>);
  }

  get publish(): HandlerContext['publish'] {
    return (this.boundPublish ??= (event, options) => this.publishCaused(event, options));
  }

  /** Aborts the signal (made now only if the handler already read it); the first reason stays. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }

  /** Starts the clock: just before the handler is called. */
  start(scheduler: SchedulerLike | undefined): void {
    this.startedAt = scheduler ? scheduler.now() : performance.now();
  }

  /** Stops the clock: the handler finished, or the bus stopped waiting for it. */
  finish(scheduler: SchedulerLike | undefined): void {
    this.durationMs = (scheduler ? scheduler.now() : performance.now()) - this.startedAt;
  }

  private publishCaused(event: PublishableEvent<Event>, options: PublishOptions | undefined): Promise<void> {
    if (this.publisher === undefined) {
      return Promise.reject(new ConfigError(ErrorCode.INVALID_ARGUMENT, 'context.publish(): this pipeline was given no publish'));
    }
    return this.publisher(causedBy(event, this.event), options);
  }
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
