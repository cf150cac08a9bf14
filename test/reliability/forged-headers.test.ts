/**
 * The bus's own headers are believed only where the broker vouches for them:
 * handlers are chosen by the event's domain.action (and a topic delivery's key
 * must equal it), and retry state only on a return from this queue's delay queues.
 */
import { describe, expect, it } from 'vitest';
import { DeadLetterHeader, type Event, type MessageProperties } from '../../src/index.js';
import { cleanupRetryQueues, rig, type TransportKind } from '../support/rig.js';
import { brokerView, collectSettlements, connectBus, names, orderEvent, TRANSPORTS, waitForCount } from '../support/rig.js';

const RETRY = { attempts: 3, delaysMs: 60_000 } as const;

function propertiesOf(event: Event, headers: Record<string, unknown>): MessageProperties {
  return { contentType: 'application/json', messageId: event.id, headers };
}

/** A bus with handlers on order.* and user.* recording what ran, and a raw publisher to its broker. */
async function setup(makeUrl: () => string, prefix: string, options: { failing?: boolean } = {}) {
  const url = makeUrl();
  const { exchange, queue } = names(prefix);
  cleanupRetryQueues(url, queue, [60_000]);
  const bus = await connectBus({ url, exchange, queue, retry: RETRY });
  const ran: string[] = [];
  bus.handle('order.*', (event) => {
    ran.push(`order.*:${event.action}`);
    if (options.failing) throw new Error('order handler down');
  });
  bus.handle('user.*', (event) => void ran.push(`user.*:${event.action}`));
  await bus.ready();
  const settlements = collectSettlements(bus);
  const view = await brokerView(url);
  const publish = (exchangeName: string, key: string, event: Event, headers: Record<string, unknown>) =>
    view.publish(exchangeName, key, Buffer.from(JSON.stringify(event)), propertiesOf(event, headers));
  return { bus, exchange, queue, ran, settlements, publish };
}

describe.each(TRANSPORTS)('forged headers (%s)', (kind: TransportKind, makeUrl) => {
  it('forged headers - rx-pubsub-routing-key cannot route a user event published as order.created to user.* handlers', async () => {
    const { exchange, ran, settlements, publish } = await setup(makeUrl, 'forge-key');
    const userEvent = { ...orderEvent(), domain: 'user', action: 'deleted' } as Event;
    await publish(exchange, 'order.created', userEvent, { [DeadLetterHeader.ROUTING_KEY]: 'user.deleted' });
    await waitForCount(settlements, 1, 'settlements');
    expect(ran).toEqual([]);
    expect(settlements[0]?.outcome.kind).toBe('dead-letter');
    expect(settlements[0]?.outcome.kind === 'dead-letter' && settlements[0].outcome.reason).toMatch(/routing key "order.created"/);
  });

  it('forged headers - rx-pubsub-routing-key on a default-exchange delivery is ignored: the event\'s own domain.action routes it', async () => {
    const { queue, ran, settlements, publish } = await setup(makeUrl, 'forge-key-direct');
    await publish('', queue, orderEvent('created'), { [DeadLetterHeader.ROUTING_KEY]: 'user.deleted' });
    await waitForCount(settlements, 1, 'settlements');
    expect(ran).toEqual(['order.*:created']);
    expect(settlements[0]?.outcome.kind).toBe('ack');
  });

  it.each([
    ['through the topic exchange', 'topic'],
    ['straight to the queue', 'direct'],
  ] as const)('forged headers - rx-pubsub-pending "[]" %s does not skip the handlers', async (_what, via) => {
    const { exchange, queue, ran, settlements, publish } = await setup(makeUrl, `forge-pending-${via}`);
    const event = orderEvent('created');
    await publish(via === 'topic' ? exchange : '', via === 'topic' ? 'order.created' : queue, event, { [DeadLetterHeader.PENDING]: '[]', [DeadLetterHeader.ATTEMPTS]: 1 });
    await waitForCount(settlements, 1, 'settlements');
    expect(ran).toEqual(['order.*:created']);
    expect(settlements[0]?.outcome.kind).toBe('ack');
  });

  it.each([
    ['through the topic exchange', 'topic'],
    ['straight to the queue', 'direct'],
  ] as const)('forged headers - rx-pubsub-attempts 999 %s does not skip the retries', async (_what, via) => {
    const { exchange, queue, ran, settlements, publish } = await setup(makeUrl, `forge-attempts-${via}`, { failing: true });
    const event = orderEvent('created');
    await publish(via === 'topic' ? exchange : '', via === 'topic' ? 'order.created' : queue, event, { [DeadLetterHeader.ATTEMPTS]: 999 });
    await waitForCount(settlements, 1, 'settlements');
    expect(ran).toEqual(['order.*:created']);
    const { outcome } = settlements[0]!;
    expect(outcome.kind).toBe('retry');
    expect(outcome.kind === 'retry' && outcome.attempt).toBe(1);
  });

  it('forged headers - a forged x-death naming another queue does not make the retry headers believed', async () => {
    const { queue, ran, settlements, publish } = await setup(makeUrl, 'forge-xdeath', { failing: true });
    const xDeath = [{ count: 1, reason: 'expired', queue: 'elsewhere.retry.10', exchange: '', 'routing-keys': ['elsewhere.retry.10'] }];
    await publish('', queue, orderEvent('created'), { [DeadLetterHeader.ATTEMPTS]: 999, 'x-death': xDeath });
    await waitForCount(settlements, 1, 'settlements');
    expect(ran).toEqual(['order.*:created']);
    expect(settlements[0]?.outcome.kind === 'retry' && settlements[0].outcome.attempt).toBe(1);
  });

  it('forged headers - a publisher\'s x-delivery-count on a classic queue does not make a redelivered message poison', async () => {
    const r = await rig(kind);
    const { exchange, queue } = names('forge-count');
    const bus = await connectBus({ url: r.url, exchange, queue, maxRedeliveries: 3 });
    const settlements = collectSettlements(bus);
    await r.bind(exchange, queue, 'order.created');
    const view = await brokerView(r.directUrl);
    const event = orderEvent('created');
    await view.publish(exchange, 'order.created', Buffer.from(JSON.stringify(event)), propertiesOf(event, { 'x-delivery-count': 999 }));
    await r.requeue(queue, 1); // now it is a redelivery, as after a consumer crash
    const ran: string[] = [];
    bus.handle('order.created', (e) => void ran.push(e.id));
    await waitForCount(settlements, 1, 'settlements');
    expect(settlements[0]?.delivery.redelivered).toBe(true);
    expect(settlements[0]?.outcome.kind).toBe('ack');
    expect(ran).toEqual([event.id]);
  });
});
