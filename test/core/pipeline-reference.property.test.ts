/**
 * processDeliveries (boundedMerge, the synchronous fast path, forkJoin only
 * for handlers still running) against a plain reference pipeline built from
 * rxjs operators only: mergeMap(…, concurrency) over forkJoin(handlers.map(runHandler)).
 * Both run the same generated scenarios; every delivery must settle the same
 * way (outcome kind, failing patterns and reasons), at the same virtual frame
 * and in the same order.
 */
import fc from 'fast-check';
import { firstValueFrom, forkJoin, map, merge, mergeMap, NEVER, type Observable, of, type SchedulerLike, throwError, timer, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Handler, RegisteredHandler } from '../../src/core/handler.js';
import type { HandlerFailure, Outcome, Settlement } from '../../src/core/outcome.js';
import { type PipelineConfig, processDeliveries } from '../../src/core/process-deliveries.js';
import { runHandler } from '../../src/core/run-handler.js';
import type { Event } from '../../src/event/event.js';
import { compilePattern } from '../../src/routing/pattern.js';
import { Registry } from '../../src/routing/registry.js';
import type { Delivery } from '../../src/transport/transport.js';
import { decode, recordingDelivery, testScheduler } from '../support/marbles.js';

const TIMEOUT = 20;
const KEYS = ['order.created', 'order.paid', 'user.created', 'user.deleted'] as const;
const PATTERNS = ['order.*', 'order.created', '*.created', '*', 'user.{created,deleted}'] as const;

/** What one handler does with one event. */
type Behaviour =
  | { readonly kind: 'sync-ok' | 'sync-throw' | 'never' }
  | { readonly kind: 'obs-ok' | 'obs-error' | 'obs-values'; readonly delay: number }
  | { readonly kind: 'promise-ok' | 'promise-reject' };

const virtualBehaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  fc.constantFrom<Behaviour>({ kind: 'sync-ok' }, { kind: 'sync-throw' }, { kind: 'never' }),
  fc.record({ kind: fc.constantFrom('obs-ok' as const, 'obs-error' as const, 'obs-values' as const), delay: fc.integer({ min: 0, max: 30 }) }),
);
const promiseBehaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  fc.constantFrom<Behaviour>({ kind: 'sync-ok' }, { kind: 'sync-throw' }, { kind: 'promise-ok' }, { kind: 'promise-reject' }),
);

interface Scenario {
  readonly concurrency: number;
  readonly patterns: readonly string[];
  /** Per delivery: its routing key (or a bad body), the frame it arrives at, and what each handler does with it. */
  readonly deliveries: readonly { readonly key: string | null; readonly at: number; readonly behaviours: readonly Behaviour[] }[];
}

function scenario(behaviour: fc.Arbitrary<Behaviour>): fc.Arbitrary<Scenario> {
  return fc.integer({ min: 1, max: 4 }).chain((handlers) =>
    fc.record({
      concurrency: fc.integer({ min: 1, max: 4 }),
      patterns: fc.array(fc.constantFrom(...PATTERNS), { minLength: handlers, maxLength: handlers }),
      deliveries: fc.array(
        fc.record({
          key: fc.option(fc.constantFrom(...KEYS), { freq: 8 }),
          at: fc.integer({ min: 0, max: 40 }),
          behaviours: fc.array(behaviour, { minLength: handlers, maxLength: handlers }),
        }),
        { minLength: 1, maxLength: 12 },
      ),
    }),
  );
}

/** The handler at `index`: looks up what to do by the event's id (the delivery's index). */
function handlerOf(s: Scenario, index: number, scheduler: SchedulerLike | undefined): Handler {
  return (event: Event) => {
    const behaviour = s.deliveries[Number(event.id.slice(1))]?.behaviours[index] ?? { kind: 'sync-ok' };
    const error = new Error(`h${index} failed on ${event.id}`);
    switch (behaviour.kind) {
      case 'sync-ok':
        return undefined;
      case 'sync-throw':
        throw error;
      case 'never':
        return NEVER;
      case 'obs-ok':
        return timer(behaviour.delay, scheduler);
      case 'obs-values':
        return timer(behaviour.delay, scheduler).pipe(mergeMap(() => of(1, 2, 3)));
      case 'obs-error':
        return timer(behaviour.delay, scheduler).pipe(mergeMap(() => throwError(() => error)));
      case 'promise-ok':
        return Promise.resolve(event.id);
      case 'promise-reject':
        return Promise.reject(error);
    }
  };
}

function configOf(s: Scenario, scheduler: SchedulerLike | undefined): PipelineConfig {
  const registry = new Registry<RegisteredHandler>();
  s.patterns.forEach((pattern, index) => registry.add(compilePattern(pattern), { handler: handlerOf(s, index, scheduler) }));
  return {
    queue: 'orders',
    decode,
    route: (key) => registry.match(key),
    observe: () => undefined,
    settle: () => true,
    concurrency: s.concurrency,
    handlerTimeoutMs: TIMEOUT,
    ...(scheduler ? { scheduler } : {}),
  };
}

/** The reference: rxjs operators only, no retries configured. */
function referencePipeline(deliveries$: Observable<Delivery>, config: PipelineConfig): Observable<Settlement> {
  return deliveries$.pipe(
    mergeMap((delivery) => {
      let event: Event;
      try {
        event = config.decode(delivery);
      } catch (error) {
        return of(settlement(delivery, undefined, deadLetter([{ pattern: '', error }])));
      }
      const routes = config.route(`${event.domain}.${event.action}`);
      if (routes.length === 0) return of(settlement(delivery, event, { kind: 'unhandled' }));
      const run = (route: (typeof routes)[number]): Observable<HandlerFailure | null> =>
        runHandler(route.target.handler, route.pattern.source, event, config.handlerTimeoutMs, config.scheduler);
      return forkJoin(routes.map(run)).pipe(
        map((results) => {
          const failures = results.filter((failure) => failure !== null);
          return settlement(delivery, event, failures.length === 0 ? { kind: 'ack', handlers: routes.length } : deadLetter(failures));
        }),
      );
    }, config.concurrency),
  );
}

function deadLetter(failures: readonly HandlerFailure[]): Outcome {
  return { kind: 'dead-letter', attempt: 1, reason: '', failures };
}

function settlement(delivery: Delivery, event: Event | undefined, outcome: Outcome): Settlement {
  return { delivery, event, outcome, handlers: [], sent: true };
}

/** What must agree: which delivery, its outcome kind, and each failure's pattern and message (or code). */
function summary(settled: Settlement, frame?: number): unknown {
  const { outcome } = settled;
  const failures =
    outcome.kind === 'dead-letter' || outcome.kind === 'retry'
      ? outcome.failures.map((f) => `${f.pattern}: ${(f.error as { code?: string }).code ?? ''} ${(f.error as Error).message}`)
      : [];
  return { id: settled.delivery.properties.messageId, kind: outcome.kind, failures, ...(frame === undefined ? {} : { frame }) };
}

function deliveriesOf(s: Scenario): Delivery[] {
  return s.deliveries.map(({ key }, index) => recordingDelivery(key ?? 'order.created', `d${index}`, key === null ? { rawBody: '{not json' } : {}));
}

describe('processDeliveries against a mergeMap/forkJoin reference', () => {
  it('pipeline reference - sync, Observable, erroring and timed-out handlers settle alike, at the same frames, in the same order', () => {
    fc.assert(
      fc.property(scenario(virtualBehaviour), (s) => {
        const runs = (['fast', 'reference'] as const).map((which) => {
          const scheduler = testScheduler();
          const seen: unknown[] = [];
          scheduler.run(() => {
            // Each delivery arrives at its frame; ties in index order.
            const deliveries$ = merge(...deliveriesOf(s).map((d, i) => timer(s.deliveries[i]?.at ?? 0, scheduler).pipe(map(() => d))));
            const config = configOf(s, scheduler);
            const pipeline = which === 'fast' ? processDeliveries(deliveries$, config) : referencePipeline(deliveries$, config);
            pipeline.subscribe((settled) => seen.push(summary(settled, scheduler.now())));
          });
          return seen;
        });
        expect(runs[0]).toEqual(runs[1]);
        // A handler returning NEVER is cut by the timeout: every delivery settles.
        expect(runs[0]).toHaveLength(s.deliveries.length);
      }),
      { numRuns: 300 },
    );
  });

  it('pipeline reference - Promise handlers (resolved, rejected) and sync ones settle every delivery alike', async () => {
    await fc.assert(
      fc.asyncProperty(scenario(promiseBehaviour), async (s) => {
        const settle = async (which: 'fast' | 'reference'): Promise<unknown[]> => {
          const config = configOf(s, undefined);
          const deliveries$ = of(...deliveriesOf(s));
          const pipeline = which === 'fast' ? processDeliveries(deliveries$, config) : referencePipeline(deliveries$, config);
          return (await firstValueFrom(pipeline.pipe(toArray()))).map((settled) => summary(settled));
        };
        const fast = await settle('fast');
        const reference = await settle('reference');
        // Promises settle in microtask order, which neither pipeline defines: compare per delivery.
        const byId = (a: unknown, b: unknown): number => String((a as { id: string }).id).localeCompare(String((b as { id: string }).id));
        expect([...fast].sort(byId)).toEqual([...reference].sort(byId));
        expect(fast).toHaveLength(s.deliveries.length);
      }),
      { numRuns: 200 },
    );
  });
});
