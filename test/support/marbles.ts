/**
 * Fakes and a harness for the delivery pipeline in virtual time, shared by the
 * marble tests. Settlements are drawn as letters: `a` ack, `u` unhandled,
 * `r` retry, `d` dead-letter.
 */
import { defer, map, type Observable, of, tap } from 'rxjs';
import { configure } from 'rxjs-marbles';
import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import type { RegisteredHandler } from '../../src/core/handler.js';
import type { Outcome, Settlement } from '../../src/core/outcome.js';
import { type PipelineConfig, processDeliveries } from '../../src/core/process-deliveries.js';
import { DeliveryError, ErrorCode } from '../../src/errors.js';
import { createEvent, type Event } from '../../src/event/event.js';
import { Registry } from '../../src/routing/registry.js';
import { bodyBytes, type Delivery, type MessageProperties, type OutboundMessage } from '../../src/transport/transport.js';

// rxjs-marbles has no vitest entry: its root `configure` with vitest's expect.
export const { marbles } = configure({
  assertDeepEqual: (actual: unknown, expected: unknown) => expect(actual).toStrictEqual(expected),
  frameworkMatcher: true,
});

/** A plain rxjs TestScheduler asserting with vitest, for tests that want the raw helpers. */
export function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toStrictEqual(expected));
}

/** A Delivery that records how it was settled. */
export interface RecordingDelivery extends Delivery {
  readonly settledWith: string[];
}

export interface RecordingDeliveryOptions {
  /** The body verbatim, to make bad input; by default `{"id":...,"key":publishedAs}`. */
  readonly rawBody?: string;
  /** The routing key the event was published with, kept in the body; by default the delivery's. */
  readonly publishedAs?: string;
  readonly headers?: Record<string, unknown>;
  readonly redelivered?: boolean;
  /** The exchange it came through; `''` for one sent straight to the queue. @default 'events' */
  readonly exchange?: string;
}

/**
 * A delivery of event `id`, keyed `routingKey`, that records how it was settled.
 * Not src/testing's `fakeDelivery(event)` (what routeMarbles feeds the pipeline):
 * the marble tests assert `settledWith`, and need any routing key, a body the
 * bus would never publish (`rawBody`), and forged headers.
 */
export function recordingDelivery(routingKey: string, id: string, options: RecordingDeliveryOptions = {}): RecordingDelivery {
  const body = Buffer.from(options.rawBody ?? JSON.stringify({ id, key: options.publishedAs ?? routingKey }), 'utf8');
  const properties: MessageProperties = {
    contentType: 'application/json',
    messageId: id,
    ...(options.headers ? { headers: options.headers } : {}),
  };
  return recording({ exchange: options.exchange ?? 'events', routingKey, body, properties, redelivered: options.redelivered ?? false });
}

/**
 * A copy published to a delay queue (`Q.retry.<ms>`), as it comes back to the
 * service queue once its TTL ends: dead-lettered through the default
 * exchange, so keyed by the queue name.
 */
export function comeBack(copy: OutboundMessage, queue = 'orders'): RecordingDelivery {
  // The broker records the expiry in x-death; only then does the pipeline believe the retry headers.
  const xDeath = [{ count: 1, reason: 'expired', queue: copy.routingKey, exchange: '', 'routing-keys': [copy.routingKey] }];
  const properties = { ...copy.properties, headers: { ...copy.properties.headers, 'x-death': xDeath } };
  return recording({ exchange: '', routingKey: queue, body: bodyBytes(copy.body), properties, redelivered: false });
}

function recording(fields: Omit<Delivery, 'ack' | 'nack' | 'stale'>): RecordingDelivery {
  const settledWith: string[] = [];
  return {
    ...fields,
    stale: false,
    settledWith,
    ack: () => {
      settledWith.push('ack');
      return true;
    },
    nack: (requeue: boolean) => {
      settledWith.push(requeue ? 'requeue' : 'reject');
      return true;
    },
  };
}

/**
 * Fake body → an Event made with createEvent, keyed like the event was
 * published (the body's `key`, which a retried delivery keeps); a body that is
 * not JSON is refused like the real decoder does.
 */
export function decode(delivery: Delivery): Event {
  let id: string;
  let key: string | undefined;
  try {
    ({ id, key } = JSON.parse(delivery.body.toString('utf8')) as { id: string; key?: string });
  } catch (cause) {
    throw new DeliveryError(ErrorCode.BAD_MESSAGE, 'body is not JSON', { cause });
  }
  const [domain = '', action = ''] = (key ?? delivery.routingKey).split('.');
  return createEvent({ id, domain, action, data: { id } });
}

/** Acks (or rejects, for a dead letter) at once: the broker's part, as a stand-in. */
export function settleAtOnce(delivery: Delivery, outcome: Outcome): Observable<unknown> {
  return defer(() => {
    if (outcome.kind === 'dead-letter') delivery.nack(false);
    else delivery.ack();
    return of(undefined);
  });
}

export const LETTER = { ack: 'a', unhandled: 'u', retry: 'r', 'dead-letter': 'd' } as const satisfies Record<Outcome['kind'], string>;

export interface Harness {
  readonly registry: Registry<RegisteredHandler>;
  /** Every settlement, in order, with full details. */
  readonly settlements: Settlement[];
  /** Every event passed to `observe`. */
  readonly observed: Event[];
  /** The pipeline over `deliveries$`, drawn as letters. */
  run(deliveries$: Observable<Delivery>): Observable<string>;
}

export function harness(scheduler: TestScheduler | undefined, overrides: Partial<PipelineConfig> = {}): Harness {
  const registry = new Registry<RegisteredHandler>();
  const settlements: Settlement[] = [];
  const observed: Event[] = [];
  const config: PipelineConfig = {
    queue: 'orders',
    decode,
    route: (key) => registry.match(key),
    observe: (event) => observed.push(event),
    settle: settleAtOnce,
    concurrency: 16,
    handlerTimeoutMs: 10,
    ...(scheduler ? { scheduler } : {}),
    ...overrides,
  };
  return {
    registry,
    settlements,
    observed,
    run: (deliveries$) =>
      processDeliveries(deliveries$, config).pipe(
        tap((settlement) => settlements.push(settlement)),
        map((settlement) => LETTER[settlement.outcome.kind]),
      ),
  };
}

/** The outcome of a settlement if it is of `kind`, or a test failure. */
export function outcomeOf<K extends Outcome['kind']>(settlement: Settlement | undefined, kind: K): Extract<Outcome, { kind: K }> {
  expect(settlement?.outcome.kind).toBe(kind);
  return settlement!.outcome as Extract<Outcome, { kind: K }>;
}
