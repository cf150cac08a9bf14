/**
 * Type tests of the handler context, publish options and settlements: on a
 * catalog bus `context.publish` takes the catalog's events and `settlements$`
 * the catalog's union; options are typed. Checked by `tsc --noEmit`: a
 * `@ts-expect-error` line that compiles fails it.
 */
import type { Observable } from 'rxjs';
import { afterAll, beforeAll, describe, expectTypeOf, it } from 'vitest';
import {
  createEvent,
  defineEvent,
  type Event,
  EventBus,
  type Handler,
  type HandlerContext,
  type HandlerFn,
  type HandlerTiming,
  type PublishOptions,
  type Settlement,
} from '../../src/index.js';
import { routeMarbles } from '../../src/testing/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { testScheduler } from '../support/marbles.js';

const OrderCreated = defineEvent('order', 'created').withData<{ order_id: string }>();
const OrderPaid = defineEvent('order', 'paid').withData<{ order_id: string; amount: number }>();
type OrderCreatedEvent = Event<{ order_id: string }, 'order', 'created'>;
type OrderPaidEvent = Event<{ order_id: string; amount: number }, 'order', 'paid'>;
type AppEvent = OrderCreatedEvent | OrderPaidEvent;

const BROKER = `context-types-${process.pid}`;
let bus: EventBus<AppEvent>;
let plain: EventBus;

beforeAll(async () => {
  bus = await EventBus.connect({ url: `memory://${BROKER}`, queue: 'typed', events: [OrderCreated, OrderPaid] });
  plain = await EventBus.connect({ url: `memory://${BROKER}`, queue: 'plain' });
});

afterAll(async () => {
  await bus.close();
  await plain.close();
  MemoryBroker.reset(BROKER);
});

const stranger = createEvent({ domain: 'user', action: 'registered', data: { user_id: 'u1' } });

describe('handler context types', () => {
  it('handler context types - a handler gets (event, context), the context typed by the bus\'s catalog', () => {
    bus.handle('order.created', (event, context) => {
      expectTypeOf(event).toEqualTypeOf<OrderCreatedEvent>();
      expectTypeOf(context).toEqualTypeOf<HandlerContext<AppEvent>>();
      expectTypeOf(context.signal).toEqualTypeOf<AbortSignal>();
      expectTypeOf(context.attempt).toEqualTypeOf<number>();
      expectTypeOf(context.redelivered).toEqualTypeOf<boolean>();
      expectTypeOf(context.headers).toEqualTypeOf<Readonly<Record<string, unknown>>>();
      return context.publish(OrderPaid.create({ order_id: event.data.order_id, amount: 5 }));
    });
  });

  it('handler context types - context.publish on a catalog bus takes only the catalog\'s events, with publish\'s options', () => {
    bus.handle('order.*', async (_event, { publish }) => {
      await publish(OrderPaid.create({ order_id: 'A1', amount: 5 }), { headers: { tenant: 'acme' }, priority: 1 });
      // @ts-expect-error not an event of this bus's catalog
      await publish(stranger);
      // @ts-expect-error priority is a number
      await publish(OrderPaid.create({ order_id: 'A1', amount: 5 }), { priority: 'high' });
    });
  });

  it('handler context types - headers are read-only', () => {
    plain.handle('order.*', (_event, { headers }) => {
      // @ts-expect-error a handler cannot change the headers
      headers.tenant = 'x';
    });
  });

  it('handler context types - on a plain bus context.publish takes any event', () => {
    plain.handle('order.*', (_event, context) => {
      expectTypeOf(context).toEqualTypeOf<HandlerContext>();
      return context.publish(stranger);
    });
  });

  it('handler context types - one-argument handlers, object handlers and HandlerFn values still fit', () => {
    const oneArgument: HandlerFn<OrderCreatedEvent> = (event) => void event.data.order_id;
    const withContext: HandlerFn<OrderCreatedEvent, AppEvent> = (_event, { attempt }) => void attempt;
    const object: Handler<OrderPaidEvent, AppEvent> = { handle: (event, context) => context.publish(OrderCreated.create({ order_id: event.data.order_id })) };
    bus.handle('order.created', oneArgument);
    bus.handle('order.created', withContext);
    bus.handle('order.paid', object);
    // @ts-expect-error a handler of paid events does not take created ones
    bus.handle('order.created', object);
  });

  it('handler context types - routeMarbles handlers get the context too', () => {
    const run = (): unknown =>
      routeMarbles({
        scheduler: testScheduler(),
        handlers: [['order.*', (_event, { publish, attempt }) => (attempt > 1 ? publish(stranger) : undefined)]],
        events$: undefined as unknown as Observable<Event>,
      }).published$;
    expectTypeOf(run).returns.toEqualTypeOf<unknown>();
  });
});

describe('publish options types', () => {
  it('publish options types - headers of JSON-like values, expiration and priority as numbers, mandatory', () => {
    expectTypeOf(plain.publish).toBeCallableWith(stranger, { headers: { a: 'x', b: 1, c: true, d: null, e: [1, ['x']], f: { g: 1 } } });
    expectTypeOf(plain.publish).toBeCallableWith(stranger, { expiration: 60_000, priority: 5, mandatory: true });
    // @ts-expect-error a Date is not a header value (it would not arrive as one)
    expectTypeOf(plain.publish).toBeCallableWith(stranger, { headers: { at: new Date() } });
    // @ts-expect-error expiration is in milliseconds, a number
    expectTypeOf(plain.publish).toBeCallableWith(stranger, { expiration: '60000' });
    // @ts-expect-error not a publish option
    expectTypeOf(plain.publish).toBeCallableWith(stranger, { persistent: false });
    expectTypeOf<PublishOptions['priority']>().toEqualTypeOf<number | undefined>();
  });
});

describe('settlement types', () => {
  it('settlement types - settlements$ carries the catalog\'s union, and each handler\'s timing', () => {
    expectTypeOf(bus.settlements$).toEqualTypeOf<Observable<Settlement<AppEvent>>>();
    expectTypeOf(plain.settlements$).toEqualTypeOf<Observable<Settlement>>();
    expectTypeOf<Settlement<AppEvent>['event']>().toEqualTypeOf<AppEvent | undefined>();
    expectTypeOf<Settlement['handlers']>().toEqualTypeOf<readonly HandlerTiming[]>();
    expectTypeOf<HandlerTiming>().toEqualTypeOf<{ readonly pattern: string; readonly durationMs: number; readonly failed: boolean }>();
  });
});
