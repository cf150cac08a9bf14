/**
 * Type tests of `bus.publishAll`: a catalog bus takes only its events, from any
 * of the three source kinds, and the result emits the source's own event type.
 * Checked by `tsc --noEmit`; a `@ts-expect-error` line that compiles fails it.
 */
import { type Observable, of } from 'rxjs';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createEvent, defineEvent, type Event, EventBus, type EventOf } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';

const OrderCreated = defineEvent('order', 'created', { schema: z.object({ order_id: z.string(), total: z.number() }) });
const OrderPaid = defineEvent('order', 'paid', { schema: z.object({ order_id: z.string() }) });
type OrderCreatedEvent = EventOf<typeof OrderCreated>;

const BROKER = `types-publish-all-${process.pid}`;
let bus: EventBus<OrderCreatedEvent | EventOf<typeof OrderPaid>>;
let plain: EventBus;

beforeAll(async () => {
  bus = await EventBus.connect({ url: `memory://${BROKER}`, events: [OrderCreated, OrderPaid] });
  plain = await EventBus.connect({ url: `memory://${BROKER}` });
});

afterAll(async () => {
  await bus.close();
  await plain.close();
  MemoryBroker.reset(BROKER);
});

describe('publishAll types', () => {
  it('publishAll types - a catalog bus takes its events from an array, a generator, an async generator or an Observable', () => {
    const created = OrderCreated.create({ order_id: 'A1', total: 5 });
    expectTypeOf(bus.publishAll([created])).toEqualTypeOf<Observable<OrderCreatedEvent>>();
    function* generated(): Generator<OrderCreatedEvent> {
      yield created;
    }
    async function* pulled(): AsyncGenerator<OrderCreatedEvent> {
      await Promise.resolve();
      yield created;
    }
    expectTypeOf(bus.publishAll(generated())).toEqualTypeOf<Observable<OrderCreatedEvent>>();
    expectTypeOf(bus.publishAll(pulled())).toEqualTypeOf<Observable<OrderCreatedEvent>>();
    expectTypeOf(bus.publishAll(of(created, OrderPaid.create({ order_id: 'A1' })))).toEqualTypeOf<
      Observable<OrderCreatedEvent | EventOf<typeof OrderPaid>>
    >();
    expectTypeOf(bus.publishAll).toBeCallableWith([created], { window: 10 });
  });

  it('publishAll types - a catalog bus refuses an event outside its catalog, or bad data', () => {
    // Built, never subscribed: nothing is published.
    // @ts-expect-error invoice.sent is not in the catalog
    const outside = bus.publishAll([createEvent({ domain: 'invoice', action: 'sent', data: {} })]);
    // @ts-expect-error total must be a number
    const badData = bus.publishAll(of(createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1', total: '5' } })));
    expect([outside, badData]).toHaveLength(2);
    // @ts-expect-error an event is not a source of events (and throws INVALID_ARGUMENT)
    expect(() => bus.publishAll(OrderCreated.create({ order_id: 'A1', total: 5 }))).toThrow(/Iterable/);
  });

  it('publishAll types - a bus without a catalog takes any event', () => {
    const invoice = createEvent({ domain: 'invoice', action: 'sent', data: { id: 1 } });
    expectTypeOf(plain.publishAll([invoice])).toEqualTypeOf<Observable<typeof invoice>>();
    expectTypeOf(plain.publishAll)
      .parameter(0)
      .toExtend<Iterable<Event<unknown>> | AsyncIterable<Event<unknown>> | Observable<Event<unknown>>>();
  });
});
