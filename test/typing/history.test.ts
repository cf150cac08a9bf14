/**
 * Type tests of `replay$`: it infers what `on$` infers for the same pattern.
 * Checked by `tsc --noEmit`; the calls that must not compile are wrapped in
 * functions that never run.
 */
import type { Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, type Event, EventBus, type ReplayOptions } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';

const OrderCreated = defineEvent('order', 'created', { schema: z.object({ order_id: z.string() }) });
const OrderPaid = defineEvent('order', 'paid', { schema: z.object({ order_id: z.string(), amount: z.number() }) });
const UserRegistered = defineEvent('user', 'registered', { schema: z.object({ user_id: z.string() }) });

type OrderCreatedEvent = Event<{ order_id: string }, 'order', 'created'>;
type OrderPaidEvent = Event<{ order_id: string; amount: number }, 'order', 'paid'>;
type UserRegisteredEvent = Event<{ user_id: string }, 'user', 'registered'>;

const BROKER = `history-types-${process.pid}`;
let bus: EventBus<OrderCreatedEvent | OrderPaidEvent | UserRegisteredEvent>;
let plain: EventBus;

beforeAll(async () => {
  bus = await EventBus.connect({ url: `memory://${BROKER}`, queue: 'typed', events: [OrderCreated, OrderPaid, UserRegistered], history: {} });
  plain = await EventBus.connect({ url: `memory://${BROKER}`, history: {} });
});

afterAll(async () => {
  await bus.close();
  await plain.close();
  MemoryBroker.reset(BROKER);
});

describe('replay$ types', () => {
  it('replay$ types - a pattern gives the events it matches, as on$ does', () => {
    expectTypeOf(bus.replay$('order.paid', { from: 'first' })).toEqualTypeOf<Observable<OrderPaidEvent>>();
    expectTypeOf(bus.replay$('order.*', { from: 'first' })).toEqualTypeOf<Observable<OrderCreatedEvent | OrderPaidEvent>>();
    expectTypeOf(bus.replay$('*', { from: 'first' })).toEqualTypeOf<Observable<OrderCreatedEvent | OrderPaidEvent | UserRegisteredEvent>>();
    expectTypeOf(bus.replay$('order.*', { from: 'first' })).toEqualTypeOf(bus.on$('order.*'));
  });

  it('replay$ types - without a catalog, plain events', () => {
    expectTypeOf(plain.replay$('order.*', { from: 0, follow: true })).toEqualTypeOf<Observable<Event>>();
  });

  it('replay$ types - from takes first, last, a Date or an offset', () => {
    expectTypeOf<ReplayOptions['from']>().toEqualTypeOf<'first' | 'last' | Date | number>();
    expectTypeOf(bus.replay$).toBeCallableWith('order.*', { from: new Date(), prefetch: 50 });
  });

  it('replay$ types - a pattern matching nothing, or options without from, do not compile', () => {
    // Never called: only the types are under test.
    const neverRuns = (): void => {
      // @ts-expect-error no event of the catalog is an invoice
      bus.replay$('invoice.*', { from: 'first' });
      // @ts-expect-error from is required
      bus.replay$('order.*', { follow: true });
      // @ts-expect-error 'next' is RabbitMQ's, not a start of the history
      bus.replay$('order.*', { from: 'next' });
    };
    expectTypeOf(neverRuns).returns.toBeVoid();
  });
});
