/**
 * The event catalog on the wire, on RabbitMQ and memory: schemas guard
 * publish and delivery, older versions are upcast, newer ones dead-lettered.
 * Other clients publish with raw amqplib (`BrokerView.publish`).
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type AnyEventDefinition,
  createEvent,
  DeadLetterHeader,
  defineEvent,
  ErrorCode,
  type Event,
  EventBus,
  EventValidationError,
} from '../../src/index.js';
import { encodeEvent } from '../../src/blocks.js';
import {
  brokerView,
  collectSettlements,
  expectRxError,
  names,
  registerCleanup,
  teardown,
  TRANSPORTS,
  waitForCount,
  waitForDepth,
} from '../support/bus.js';

const OrderCreated = defineEvent('order', 'created', {
  schema: z.object({ order_id: z.string(), items: z.array(z.object({ sku: z.string(), qty: z.int().positive() })).min(1) }),
});

/** What an older publisher still sends: version 1, a bare amount. */
const OrderPaidV1 = defineEvent('order', 'paid', { schema: z.object({ order_id: z.string(), amount: z.number() }) });
/** What this consumer reads: version 2, an amount with its currency. */
const OrderPaidV2 = defineEvent('order', 'paid', {
  version: 2,
  schema: z.object({ order_id: z.string(), amount: z.object({ value: z.number(), currency: z.string().length(3) }) }),
  upcast: { 1: (v1: { order_id: string; amount: number }) => ({ order_id: v1.order_id, amount: { value: v1.amount, currency: 'EUR' } }) },
});
/** What a newer publisher sends: version 3, unknown to the consumer. */
const OrderPaidV3 = defineEvent('order', 'paid', { version: 3, schema: z.object({ order_id: z.string(), payment: z.string() }) });

const BOUNDS = { handlerTimeoutMs: 5_000, publishTimeoutMs: 5_000, connectTimeoutMs: 5_000 } as const;

describe.each(TRANSPORTS)('catalog (%s)', (_kind, makeUrl) => {
  /** A catalog bus on `exchange` (and `queue`, if given), closed when the test ends. */
  async function connect<const T extends readonly AnyEventDefinition[]>(url: string, exchange: string, events: T, queue?: string) {
    const bus = await EventBus.connect({ url, exchange, queue, events, ...BOUNDS });
    teardown(() => bus.close());
    return bus;
  }

  it('catalog - invalid data is refused at publish with the issues, before the broker sees it', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('cat-pub');
    registerCleanup(url, exchange, queue);
    const bus = await connect(url, exchange, [OrderCreated], queue);
    const settlements = collectSettlements(bus);
    bus.handle('order.created', () => undefined);
    await bus.ready();

    const error = await expectRxError(
      bus.publish(OrderCreated.create({ order_id: 'A1', items: [{ sku: 'S1', qty: 0 }] })),
      EventValidationError,
      ErrorCode.INVALID_DATA,
    );
    expect(error.issues).toEqual([expect.objectContaining({ path: ['items', 0, 'qty'] })]);
    expect(error.message).toMatch(/^order\.created version 1: data does not match the schema: data\.items\[0\]\.qty: /);

    await bus.publish(OrderCreated.create({ order_id: 'A2', items: [{ sku: 'S1', qty: 1 }] }));
    await waitForCount(settlements, 1, 'settlements');
    expect(settlements.map((s) => s.event?.data)).toEqual([{ order_id: 'A2', items: [{ sku: 'S1', qty: 1 }] }]);
    expect(bus.stats()).toMatchObject({ published: 1, acked: 1 });
  });

  it('catalog - an invalid delivery from another client is dead-lettered with its issues; the consumer goes on', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('cat-dl');
    registerCleanup(url, exchange, queue);
    const bus = await connect(url, exchange, [OrderCreated], queue);
    const settlements = collectSettlements(bus);
    const handled: Event[] = [];
    bus.handle('order.*', (event) => void handled.push(event));
    await bus.ready();
    const view = await brokerView(url);

    const bad = createEvent({ domain: 'order', action: 'created', data: { order_id: 42, items: [] } });
    await view.publish(exchange, 'order.created', encodeEvent(bad), {
      contentType: 'application/json',
      deliveryMode: 2,
      messageId: bad.id,
      type: 'order.created',
    });
    const good = OrderCreated.create({ order_id: 'A3', items: [{ sku: 'S1', qty: 2 }] });
    await bus.publish(good);
    await waitForCount(settlements, 2, 'settlements');
    await waitForDepth(view, `${queue}.dlq`, 1);

    expect(handled.map((e) => e.id)).toEqual([good.id]);
    const [letter] = await view.take(`${queue}.dlq`);
    expect(letter?.properties.messageId).toBe(bad.id);
    expect(JSON.parse(letter!.body.toString('utf8'))).toEqual(bad);
    const reason = String(letter?.properties.headers?.[DeadLetterHeader.ERROR]);
    expect(reason).toMatch(/^order\.created version 1: data does not match the schema: /);
    expect(reason).toMatch(/data\.order_id: [^;]*expected string/);
    expect(reason).toMatch(/data\.items: [^;]*>=1/);
    expect(String(letter?.properties.headers?.[DeadLetterHeader.PATTERNS])).toBe('');
    expect(await view.depth(queue)).toBe(0);
  });

  it('catalog - a version 1 message from an older publisher is upcast and handled by a version 2 consumer', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('cat-up');
    registerCleanup(url, exchange, queue);
    const consumer = await connect(url, exchange, [OrderPaidV2], queue);
    const settlements = collectSettlements(consumer);
    const handled: Event<{ order_id: string; amount: { value: number; currency: string } }, 'order', 'paid'>[] = [];
    consumer.handle('order.paid', (event) => void handled.push(event));
    await consumer.ready();
    const olderPublisher = await connect(url, exchange, [OrderPaidV1]);

    const v1 = OrderPaidV1.create({ order_id: 'A1', amount: 12.5 }, { correlationId: 'checkout-1' });
    await olderPublisher.publish(v1);
    await waitForCount(settlements, 1, 'settlements');

    expect(settlements[0]?.outcome.kind).toBe('ack');
    expect(handled).toEqual([{ ...v1, version: 2, data: { order_id: 'A1', amount: { value: 12.5, currency: 'EUR' } } }]);
    expect(handled[0]?.data.amount.currency).toBe('EUR');
  });

  it('catalog - a message of a future version is dead-lettered with a clear reason', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('cat-fut');
    registerCleanup(url, exchange, queue);
    const consumer = await connect(url, exchange, [OrderPaidV2], queue);
    const settlements = collectSettlements(consumer);
    const handled: Event[] = [];
    consumer.handle('order.*', (event) => void handled.push(event));
    await consumer.ready();
    const newerPublisher = await connect(url, exchange, [OrderPaidV3]);
    const view = await brokerView(url);

    const v3 = OrderPaidV3.create({ order_id: 'A1', payment: 'card' });
    await newerPublisher.publish(v3);
    await waitForCount(settlements, 1, 'settlements');
    await waitForDepth(view, `${queue}.dlq`, 1);

    expect(handled).toEqual([]);
    const [letter] = await view.take(`${queue}.dlq`);
    expect(JSON.parse(letter!.body.toString('utf8'))).toEqual(v3);
    expect(String(letter?.properties.headers?.[DeadLetterHeader.ERROR])).toBe(
      'order.paid version 3 is newer than this consumer knows (version 2): deploy a consumer that defines version 3, then move the message back from the dead-letter queue',
    );
  });
});
