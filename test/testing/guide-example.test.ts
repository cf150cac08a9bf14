/**
 * The example of docs/guide/testing.md's "A complete test file", run for real (the docs tests only
 * type-check it: it is a vitest file). The code
 * between the region markers is the README's block verbatim, but for the two
 * import paths ('rx-pubsub-amqp' and 'rx-pubsub-amqp/testing' there, the sources here);
 * the last test checks that they have not drifted apart.
 */
import { readFileSync } from 'node:fs';
import { expect as expectOutside, it as itOutside } from 'vitest';

// #region readme
import { firstValueFrom, NEVER, of, throwError } from 'rxjs';
import { configure } from 'rxjs-marbles';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createEvent, RxPubsubHeader, defineEvent, ErrorCode, type Event, isRxPubsubError } from '../../src/index.js';
import { advanceVirtualTime, memoryBroker, routeMarbles, settlementLetter, testBus } from '../../src/testing/index.js';

// rxjs-marbles has no vitest entry: configure its root with vitest's expect.
const { marbles } = configure({ assertDeepEqual: (actual, expected) => expect(actual).toEqual(expected), frameworkMatcher: true });

const OrderPaid = defineEvent('order', 'paid').withData<{ order_id: string; amount: number }>();

// The handler under test. An Observable handler succeeds when it completes.
const charge = (event: Event) =>
  OrderPaid.is(event) && event.data.amount <= 1_000 ? of('charged') : throwError(() => new Error('over the limit'));

const small = OrderPaid.create({ order_id: 'A1', amount: 20 });
const large = OrderPaid.create({ order_id: 'A2', amount: 5_000 });
const signup = createEvent({ domain: 'user', action: 'registered', data: { user_id: 'u1' } });

describe('billing', () => {
  it(
    'billing - acks a small payment, dead-letters a large one, leaves other events unhandled',
    marbles((m) => {
      const { settlements$, calls } = routeMarbles({
        scheduler: m.scheduler,
        handlers: [['order.paid', charge]],
        events$: m.cold('a-b-c|', { a: small, b: large, c: signup }),
      });
      m.expect(settlements$).toBeObservable('a-d-u|'); // a ack, d dead-letter, u unhandled, r retry
      m.expect(calls[0]).toBeObservable('   a-b--|', { a: small, b: large });
    }),
  );

  it('billing - a refused payment waits in billing.dlq with the reason', async () => {
    const bus = await testBus({ queue: 'billing' }); // on a memory:// broker of its own
    bus.handle('order.paid', charge);
    await bus.ready();
    const settled = firstValueFrom(bus.settlements$);
    await bus.publish(large);
    await settled;

    const broker = memoryBroker(bus);
    expect(broker.queueDepth('billing')).toBe(0);
    expect(broker.peek('billing.dlq')[0]?.properties.headers?.[RxPubsubHeader.ERROR]).toBe('order.paid: over the limit');

    broker.refuseNextPublish(); // a fault: the broker nacks the next publish
    await expect(bus.publish(small)).rejects.toSatisfy((error) => isRxPubsubError(error, ErrorCode.PUBLISH_REFUSED));
    await bus.close();
  });

  it('billing - a stuck charge times out after 2 s and is retried 10 s later, in virtual time', async () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const bus = await testBus({ queue: 'billing', scheduler, handlerTimeoutMs: 2_000, retry: { attempts: 2, delaysMs: 10_000 } });
    const settled: string[] = [];
    bus.settlements$.subscribe((s) => settled.push(`${scheduler.now()} ${settlementLetter(s)}`));
    let calls = 0;
    bus.handle('order.paid', (event) => (++calls === 1 ? NEVER : charge(event)));
    await bus.ready();

    await bus.publish(small);
    await advanceVirtualTime(scheduler, 60_000); // a minute of broker and handler time, at once

    expect(settled).toEqual(['2000 r', '12000 a']);
    await bus.close();
  });
});
// #endregion readme

itOutside('testing guide example - docs/guide/testing.md "A complete test file" shows this code', () => {
  const source = readFileSync(new URL(import.meta.url), 'utf8');
  const region = /\/\/ #region readme\n([\s\S]*?)\/\/ #endregion readme/.exec(source)?.[1] ?? '';
  const asUsersWriteIt = region.replaceAll("'../../src/testing/index.js'", "'rx-pubsub-amqp/testing'").replaceAll("'../../src/index.js'", "'rx-pubsub-amqp'");
  const guide = readFileSync(new URL('../../docs/guide/testing.md', import.meta.url), 'utf8');
  const section = guide.slice(guide.indexOf('## A complete test file'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expectOutside(block, 'the first ts block of "## A complete test file" in docs/guide/testing.md').toBe(asUsersWriteIt);
});
