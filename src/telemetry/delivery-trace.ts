import type { Context, Link, Span } from '@opentelemetry/api';
import { Observable } from 'rxjs';
import { type Eventually, isLater } from '../core/eventually.js';
import type { HandlerFailure, Outcome, Settlement } from '../core/outcome.js';
import type { Delivery } from '../transport/transport.js';
import { headerGetter } from './header-carrier.js';
import { Attr, deliveryAttributes, errorTypeOf } from './messaging-attributes.js';
import { recordFailure, runIn, secondsSince, type TelemetryCore } from './telemetry-core.js';
import type { DeliveryTelemetry } from './telemetry-hooks.js';

/**
 * One delivery's telemetry: a CONSUMER span `process <queue>` whose parent is
 * the producer's context (from the message headers, which a retry copy keeps)
 * and which links to it; an INTERNAL span `handle <pattern>` per handler, the
 * handler running inside it; the outcome on the delivery's span; and the
 * delivery's and handlers' metrics. A failing SDK call is skipped (see TelemetryGuard).
 */
export class DeliveryTrace implements DeliveryTelemetry {
  private readonly startedAt = performance.now();
  private readonly span: Span | undefined;
  /** The delivery span's context: its handlers' parent. */
  private readonly context: Context | undefined;
  private attemptNumber = 1;
  private ended = false;

  constructor(
    private readonly core: TelemetryCore,
    private readonly delivery: Delivery,
    tracing: boolean,
  ) {
    if (core.metrics) core.metrics.deliveryStarted();
    const started = tracing ? core.guard.attempt(() => this.startSpan(), undefined) : undefined;
    this.span = started?.span;
    this.context = started?.context;
  }

  attempt(attempt: number): void {
    this.attemptNumber = attempt;
    const span = this.span;
    if (span !== undefined) this.core.guard.attempt(() => span.setAttribute(Attr.ATTEMPT, attempt), undefined);
  }

  runHandler(pattern: string, handlerId: string, start: () => Eventually<HandlerFailure | null>): Eventually<HandlerFailure | null> {
    const startedAt = performance.now();
    const span =
      this.context === undefined ? undefined : this.core.guard.attempt(() => this.startHandlerSpan(pattern, handlerId), undefined);
    const context = span === undefined || this.context === undefined ? undefined : this.core.api.trace.setSpan(this.context, span);
    const result = context === undefined ? start() : runIn(this.core, context, start);
    if (!isLater(result)) {
      this.handlerEnded(span, pattern, startedAt, result);
      return result;
    }
    return new Observable<HandlerFailure | null>((subscriber) => {
      let done = false;
      const finish = (failure: HandlerFailure | null | 'cancelled'): void => {
        if (done) return;
        done = true;
        this.handlerEnded(span, pattern, startedAt, failure);
      };
      // Subscribed inside the span too: an Observable handler does its work on subscription.
      const subscribe = (): { unsubscribe(): void } =>
        result.subscribe({
          next: (failure) => {
            finish(failure);
            subscriber.next(failure);
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        });
      const inner = context === undefined ? subscribe() : runIn(this.core, context, subscribe);
      return () => {
        inner.unsubscribe();
        finish('cancelled'); // close() cancelled the handler past its deadline
      };
    });
  }

  settled(settlement: Eventually<Settlement>): Eventually<Settlement> {
    if (!isLater(settlement)) {
      this.end(settlement);
      return settlement;
    }
    return new Observable<Settlement>((subscriber) => {
      const inner = settlement.subscribe({
        next: (value) => {
          this.end(value);
          subscriber.next(value);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        inner.unsubscribe();
        this.end(undefined); // abandoned unsettled (close deadline, pipeline restart): the broker redelivers it
      };
    });
  }

  private startSpan(): { span: Span; context: Context } {
    const { api, tracer, queue } = this.core;
    const headers = this.delivery.properties.headers;
    const parent = headers === undefined ? api.ROOT_CONTEXT : api.propagation.extract(api.ROOT_CONTEXT, headers, headerGetter);
    const producer = api.trace.getSpanContext(parent);
    const links: Link[] | undefined = producer !== undefined && api.isSpanContextValid(producer) ? [{ context: producer }] : undefined;
    const attributes = deliveryAttributes(this.delivery, queue, this.core.broker());
    const span = tracer.startSpan(`process ${queue}`, { kind: api.SpanKind.CONSUMER, attributes, ...(links ? { links } : {}) }, parent);
    return { span, context: api.trace.setSpan(parent, span) };
  }

  private startHandlerSpan(pattern: string, handlerId: string): Span {
    const { api, tracer } = this.core;
    const attributes = { [Attr.PATTERN]: pattern, [Attr.HANDLER_ID]: handlerId, [Attr.ATTEMPT]: this.attemptNumber };
    return tracer.startSpan(`handle ${pattern}`, { kind: api.SpanKind.INTERNAL, attributes }, this.context);
  }

  private handlerEnded(span: Span | undefined, pattern: string, startedAt: number, failure: HandlerFailure | null | 'cancelled'): void {
    const { guard, metrics } = this.core;
    const error = failure === null ? undefined : failure === 'cancelled' ? CANCELLED : failure.error;
    if (metrics)
      guard.attempt(
        () => metrics.handled(pattern, secondsSince(startedAt), error === undefined ? undefined : errorTypeOf(error)),
        undefined,
      );
    if (span === undefined) return;
    guard.attempt(() => {
      if (error !== undefined) recordFailure(this.core, span, error);
      span.end();
    }, undefined);
  }

  /** The delivery's span and metrics end with its settlement, or without one (`undefined`: abandoned). */
  private end(settlement: Settlement | undefined): void {
    if (this.ended) return;
    this.ended = true;
    const { guard, metrics } = this.core;
    const outcome = settlement?.outcome;
    const error = outcome === undefined ? ABANDONED : firstError(outcome);
    if (metrics) guard.attempt(() => this.measure(metrics, settlement, error), undefined);
    const span = this.span;
    if (span === undefined) return;
    guard.attempt(() => {
      span.setAttribute(Attr.OUTCOME, outcome?.kind ?? 'abandoned');
      if (settlement !== undefined) span.setAttribute(Attr.SENT, settlement.sent);
      if (error !== undefined) recordFailure(this.core, span, error, outcome && 'reason' in outcome ? outcome.reason : undefined);
      span.end();
    }, undefined);
  }

  private measure(metrics: NonNullable<TelemetryCore['metrics']>, settlement: Settlement | undefined, error: unknown): void {
    const outcome = settlement?.outcome;
    const errorType = error === undefined ? undefined : errorTypeOf(error);
    metrics.processed(this.delivery.exchange, outcome?.kind ?? 'abandoned', secondsSince(this.startedAt), errorType);
    // Copies the broker got; a copy that failed was rejected to the broker instead (Settlement.sent).
    if (settlement?.sent !== true) return;
    if (outcome?.kind === 'retry') metrics.copied(1, outcome.deadLetter ? 1 : 0);
    else if (outcome?.kind === 'dead-letter') metrics.copied(0, 1);
  }
}

/** Why a handler span or a delivery span ended without a result. */
class Unfinished extends Error {
  override readonly name = 'Unfinished';

  constructor(message: string) {
    super(message);
    this.stack = undefined; // made once, at load: its stack would say nothing of the delivery
  }
}
const CANCELLED = new Unfinished('the handler was cancelled (close() deadline passed)');
const ABANDONED = new Unfinished(
  'the delivery was abandoned unsettled (close() deadline passed, or the pipeline restarted); the broker redelivers it',
);

function firstError(outcome: Outcome): unknown {
  if (outcome.kind !== 'retry' && outcome.kind !== 'dead-letter') return undefined;
  return outcome.failures[0]?.error;
}
