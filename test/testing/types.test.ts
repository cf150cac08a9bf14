/** The types of rx-pubsub/testing, as an editor shows them (checked by tsc; the tests run for nothing). */
import { type Observable, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expectTypeOf, it } from 'vitest';
import { defineEvent, type Event, type EventBus } from '../../src/index.js';
import { memoryBroker, type MemoryBroker, routeMarbles, type SettlementLetter, testBus } from '../../src/testing/index.js';

const OrderPaid = defineEvent('order', 'paid').withData<{ order_id: string; amount: number }>();
const paid = OrderPaid.create({ order_id: 'A1', amount: 1 });
type Paid = typeof paid;

describe('testing types', () => {
  it('routeMarbles - handlers see the events of events$; calls is a tuple, one Observable per handler', () => {
    const scheduler = new TestScheduler(() => undefined);
    class Audit {
      handle(event: Event): void {
        void event;
      }
    }
    const result = routeMarbles({
      scheduler,
      events$: of(paid),
      handlers: [
        ['order.*', (event) => void expectTypeOf(event).toEqualTypeOf<Paid>()],
        ['*', new Audit()],
        ['order.paid', (event: Event) => of(event), { retry: { attempts: 2, delaysMs: 10 } }],
      ],
    });
    expectTypeOf(result.settlements$).toEqualTypeOf<Observable<SettlementLetter>>();
    expectTypeOf(result.calls[0]).toEqualTypeOf<Observable<Paid>>();
    expectTypeOf(result.calls[2]).toEqualTypeOf<Observable<Paid>>();
    expectTypeOf(result.calls).toHaveProperty('length').toEqualTypeOf<3>();
  });

  it('testBus - a bus typed by its catalog; memoryBroker takes it or a memory:// URL', async () => {
    expectTypeOf(testBus<[typeof OrderPaid]>).returns.resolves.toEqualTypeOf<EventBus<Paid>>();
    const bus = {} as EventBus<Paid>;
    expectTypeOf(() => memoryBroker(bus)).returns.toEqualTypeOf<MemoryBroker>();
    expectTypeOf(() => memoryBroker('memory://orders-test')).returns.toEqualTypeOf<MemoryBroker>();
  });
});
