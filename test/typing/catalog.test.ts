/**
 * Type tests of the event catalog: what `defineEvent`, `EventBus.connect({ events })`,
 * `publish`, `handle` and `on$` infer. They are checked by `tsc --noEmit`
 * (the first step of `npm test`); a `@ts-expect-error` line that compiles
 * fails that step. The bus is a real memory bus, so the types under test are
 * the ones `connect` infers.
 */
import type { Observable } from 'rxjs';
import { of } from 'rxjs';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  type CatalogEvent,
  createEvent,
  defineEvent,
  type Event,
  EventBus,
  type EventDefinition,
  type EventOf,
  type EventsMatching,
  type Json,
} from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';

const OrderCreated = defineEvent('order', 'created', {
  schema: z.object({ order_id: z.string(), total: z.number() }),
});
const OrderPaid = defineEvent('order', 'paid', {
  version: 2,
  schema: z.object({ order_id: z.string(), amount: z.number(), currency: z.string() }),
  upcast: { 1: (v1: { order_id: string; amount: number }) => ({ ...v1, currency: 'EUR' }) },
});
const UserRegistered = defineEvent('user', 'registered', {
  schema: z.object({ user_id: z.string(), email: z.email() }),
});
const AuditLogged = defineEvent('audit', 'logged');

type OrderCreatedEvent = Event<{ order_id: string; total: number }, 'order', 'created'>;
type OrderPaidEvent = Event<{ order_id: string; amount: number; currency: string }, 'order', 'paid'>;
type UserRegisteredEvent = Event<{ user_id: string; email: string }, 'user', 'registered'>;
type AuditLoggedEvent = Event<Json, 'audit', 'logged'>;
type AppEvent = OrderCreatedEvent | OrderPaidEvent | UserRegisteredEvent | AuditLoggedEvent;

const BROKER = `types-${process.pid}`;
let bus: EventBus<AppEvent>;
let plain: EventBus;

beforeAll(async () => {
  bus = await EventBus.connect({ url: `memory://${BROKER}`, queue: 'typed', events: [OrderCreated, OrderPaid, UserRegistered, AuditLogged] });
  plain = await EventBus.connect({ url: `memory://${BROKER}`, queue: 'plain' });
});

afterAll(async () => {
  await bus.close();
  await plain.close();
  MemoryBroker.reset(BROKER);
});

describe('defineEvent types', () => {
  it('defineEvent types - a schema types data by its output', () => {
    expectTypeOf(OrderCreated).toEqualTypeOf<EventDefinition<{ order_id: string; total: number }, 'order', 'created'>>();
    expectTypeOf(OrderCreated.create).parameter(0).toEqualTypeOf<{ order_id: string; total: number }>();
    expectTypeOf(OrderCreated.create({ order_id: 'A1', total: 5 })).toEqualTypeOf<OrderCreatedEvent>();
    expectTypeOf<EventOf<typeof OrderPaid>>().toEqualTypeOf<OrderPaidEvent>();
  });

  it('defineEvent types - the output type wins where input and output differ (defaults)', () => {
    const WithDefault = defineEvent('cart', 'opened', { schema: z.object({ items: z.number().default(0) }) });
    expectTypeOf(WithDefault.create).parameter(0).toEqualTypeOf<{ items: number }>();
  });

  it('defineEvent types - without a schema data is Json, and withData still casts', () => {
    expectTypeOf(AuditLogged).toEqualTypeOf<EventDefinition<Json, 'audit', 'logged'>>();
    expectTypeOf(defineEvent('audit', 'logged', { version: 3 })).toEqualTypeOf<EventDefinition<Json, 'audit', 'logged'>>();
    expectTypeOf(AuditLogged.withData<{ line: string }>().create).parameter(0).toEqualTypeOf<{ line: string }>();
  });

  it('defineEvent types - bad data, versions and upcasters do not compile', () => {
    // @ts-expect-error total must be a number
    expectTypeOf(OrderCreated.create).toBeCallableWith({ order_id: 'A1', total: '5' });
    // @ts-expect-error total is required
    expectTypeOf(OrderCreated.create).toBeCallableWith({ order_id: 'A1' });
    // @ts-expect-error an upcaster is a function of the old data
    expectTypeOf(defineEvent).toBeCallableWith('order', 'created', { version: 2, upcast: { 1: { order_id: 'x' } } });
    // @ts-expect-error schema must be a Standard Schema
    expectTypeOf(defineEvent).toBeCallableWith('order', 'created', { schema: { parse: () => null } });
  });
});

describe('EventBus.connect types', () => {
  it('EventBus.connect types - a catalog makes the bus an EventBus of the union of its events', async () => {
    // Wrapped in a function that never runs: only the types are under test.
    expectTypeOf(() => EventBus.connect({ url: 'memory://types', events: [OrderCreated, OrderPaid, UserRegistered, AuditLogged] })).returns.resolves.toEqualTypeOf<EventBus<AppEvent>>();
    const events = [OrderCreated, UserRegistered];
    expectTypeOf<CatalogEvent<typeof events>>().toEqualTypeOf<OrderCreatedEvent | UserRegisteredEvent>();
  });

  it('EventBus.connect types - without a catalog it is the plain EventBus, as before', () => {
    expectTypeOf(() => EventBus.connect({ url: 'memory://x' })).returns.resolves.toEqualTypeOf<EventBus<Event>>();
    // @ts-expect-error url (or transport) is required: nothing falls back to an in-memory broker
    expectTypeOf(() => EventBus.connect({ queue: 'q' })).returns.resolves.toEqualTypeOf<EventBus>();
    expectTypeOf<CatalogEvent<[]>>().toEqualTypeOf<Event>();
  });

  it('EventBus.connect types - a catalog bus is usable where a plain EventBus is expected, not the reverse', () => {
    expectTypeOf(bus).toMatchTypeOf<EventBus>();
    expectTypeOf(plain).not.toMatchTypeOf<EventBus<AppEvent>>();
  });
});

describe('on$ types', () => {
  it('on$ types - an exact key gives its event', () => {
    expectTypeOf(bus.on$('order.created')).toEqualTypeOf<Observable<OrderCreatedEvent>>();
    expectTypeOf(bus.on$('audit.logged')).toEqualTypeOf<Observable<AuditLoggedEvent>>();
  });

  it('on$ types - x.* gives the events of a domain', () => {
    expectTypeOf(bus.on$('order.*')).toEqualTypeOf<Observable<OrderCreatedEvent | OrderPaidEvent>>();
    expectTypeOf(bus.on$('user.*')).toEqualTypeOf<Observable<UserRegisteredEvent>>();
  });

  it('on$ types - *.y gives the events of an action, across domains', () => {
    expectTypeOf(bus.on$('*.created')).toEqualTypeOf<Observable<OrderCreatedEvent>>();
    expectTypeOf(bus.on$('*.{registered,logged}')).toEqualTypeOf<Observable<UserRegisteredEvent | AuditLoggedEvent>>();
  });

  it('on$ types - * (and *.*, **) gives the whole catalog', () => {
    expectTypeOf(bus.on$('*')).toEqualTypeOf<Observable<AppEvent>>();
    expectTypeOf(bus.on$('*.*')).toEqualTypeOf<Observable<AppEvent>>();
    expectTypeOf(bus.on$('**')).toEqualTypeOf<Observable<AppEvent>>();
  });

  it('on$ types - ? is one character, a dot included', () => {
    expectTypeOf(bus.on$('order.?aid')).toEqualTypeOf<Observable<OrderPaidEvent>>();
    expectTypeOf(bus.on$('????.*')).toEqualTypeOf<Observable<UserRegisteredEvent>>();
    expectTypeOf(bus.on$('user?registered')).toEqualTypeOf<Observable<UserRegisteredEvent>>();
    expectTypeOf(bus.on$('*.????')).toEqualTypeOf<Observable<OrderPaidEvent>>();
  });

  it('on$ types - {a,b} gives each alternative', () => {
    expectTypeOf(bus.on$('order.{created,paid}')).toEqualTypeOf<Observable<OrderCreatedEvent | OrderPaidEvent>>();
    expectTypeOf(bus.on$('{order,user}.*')).toEqualTypeOf<Observable<OrderCreatedEvent | OrderPaidEvent | UserRegisteredEvent>>();
    expectTypeOf(bus.on$('{user.registered,order.paid}')).toEqualTypeOf<Observable<UserRegisteredEvent | OrderPaidEvent>>();
    expectTypeOf(bus.on$('order.{created,shipped}')).toEqualTypeOf<Observable<OrderCreatedEvent>>();
  });

  it('on$ types - forms the types do not follow fall back to the whole catalog, never any', () => {
    expectTypeOf(bus.on$('order.[cp]*')).toEqualTypeOf<Observable<AppEvent>>();
    expectTypeOf(bus.on$('order.@(created|paid)')).toEqualTypeOf<Observable<AppEvent>>();
    expectTypeOf(bus.on$('order.{created,{paid,shipped}}')).toEqualTypeOf<Observable<AppEvent>>();
    expectTypeOf(bus.on$('order.v{1..3}')).toEqualTypeOf<Observable<AppEvent>>();
    const pattern: string = 'order.*';
    expectTypeOf(bus.on$(pattern)).toEqualTypeOf<Observable<AppEvent>>();
    expectTypeOf<EventsMatching<AppEvent, 'order.[cp]*'>>().not.toBeAny();
  });

  it('on$ types - a pattern matching no event of the catalog does not compile', () => {
    // @ts-expect-error typo in the domain
    bus.on$('ordr.*');
    // @ts-expect-error no such action in the catalog
    bus.on$('order.shipped');
    // `#` is literal in globs, so the pattern can never match: refused at run time too.
    // @ts-expect-error routing keys have one dot: `#` is literal in globs
    expect(() => bus.on$('order.#')).toThrow(/already crosses dots/);
    // @ts-expect-error case matters
    bus.on$('Order.created');
  });

  it('on$ types - a union of patterns gives the union of their events', () => {
    const pattern = Math.random() > 0.5 ? ('order.created' as const) : ('user.*' as const);
    expectTypeOf(bus.on$(pattern)).toEqualTypeOf<Observable<OrderCreatedEvent | UserRegisteredEvent>>();
  });

  it('on$ types - the narrowed stream is not wider or narrower than the match', () => {
    // @ts-expect-error order.* includes order.paid
    const onlyCreated: Observable<OrderCreatedEvent> = bus.on$('order.*');
    // @ts-expect-error a user event is not an order event
    const orders: Observable<OrderCreatedEvent | OrderPaidEvent> = bus.on$('*');
    void [onlyCreated, orders];
  });

  it('on$ types - without a catalog every pattern gives the plain Event', () => {
    expectTypeOf(plain.on$('order.*')).toEqualTypeOf<Observable<Event>>();
    expectTypeOf(plain.on$('anything.goes')).toEqualTypeOf<Observable<Event>>();
    expectTypeOf(plain.on$('order.[cp]*')).toEqualTypeOf<Observable<Event>>();
  });
});

describe('handle types', () => {
  it('handle types - the handler gets the events its pattern matches', () => {
    const subscription = bus.handle('order.*', (event) => {
      expectTypeOf(event).toEqualTypeOf<OrderCreatedEvent | OrderPaidEvent>();
      if (event.action === 'paid') expectTypeOf(event.data.currency).toBeString();
      else expectTypeOf(event.data.total).toBeNumber();
    });
    subscription.unsubscribe();
  });

  it('handle types - object handlers and Observable results are narrowed the same way', () => {
    const subscription = bus.handle('user.registered', {
      handle: (event) => {
        expectTypeOf(event).toEqualTypeOf<UserRegisteredEvent>();
        return of(event.data.email);
      },
    });
    subscription.unsubscribe();
  });

  it('handle types - data of other events is not reachable, and unmatched patterns do not compile', () => {
    const handlers = () => {
      // @ts-expect-error user events have no order_id
      bus.handle('user.*', (event) => event.data.order_id);
      // @ts-expect-error a handler of order.created only cannot take order.*
      bus.handle('order.*', (event: OrderCreatedEvent) => event.data.total);
      // @ts-expect-error no catalog event matches
      bus.handle('invoice.*', () => undefined);
    };
    void handlers;
  });

  it('handle types - without a catalog the handler gets the plain Event', () => {
    const subscription = plain.handle('order.*', (event) => {
      expectTypeOf(event).toEqualTypeOf<Event>();
    });
    subscription.unsubscribe();
  });
});

describe('publish types', () => {
  it('publish types - takes the events of the catalog', () => {
    expectTypeOf(bus.publish).toBeCallableWith(OrderCreated.create({ order_id: 'A1', total: 5 }));
    expectTypeOf(bus.publish).toBeCallableWith(OrderPaid.create({ order_id: 'A1', amount: 5, currency: 'EUR' }));
    expectTypeOf(bus.publish).toBeCallableWith(createEvent({ domain: 'audit', action: 'logged', data: ['any', 'json'] }));
  });

  it('publish types - refuses events outside the catalog and data of the wrong shape', () => {
    const publishes = () => {
      // @ts-expect-error invoice.sent is not in the catalog
      void bus.publish(createEvent({ domain: 'invoice', action: 'sent', data: {} }));
      // @ts-expect-error order.created data needs a number total
      void bus.publish(createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1', total: '5' } }));
      // @ts-expect-error a plain Event may be anything
      void bus.publish(createEvent({ domain: 'order' as string, action: 'created' as string, data: {} }));
    };
    void publishes;
  });

  it('publish types - without a catalog any event is accepted, as before', () => {
    interface Shipment {
      readonly parcel: string;
    }
    const shipment: Shipment = { parcel: 'P1' };
    expectTypeOf(plain.publish).toBeCallableWith(createEvent({ domain: 'order', action: 'shipped', data: shipment }));
    expectTypeOf(plain.publish).toBeCallableWith(OrderCreated.create({ order_id: 'A1', total: 5 }));
  });
});
