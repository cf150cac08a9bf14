import { describe, expect, it } from 'vitest';
import { ErrorCode, PublishError } from '../../src/index.js';
import { tcpProxy } from '../support/tcp-proxy.js';
import { amqpUrl } from '../support/broker.js';
import { brokerView, connectBus, expectRxError, names, orderEvent, rig, statesOf, TRANSPORTS, waitFor, waitForDepth } from '../support/rig.js';

describe.each(TRANSPORTS)('publish flow control (%s)', (kind) => {
  it('publish flow control - while the broker is unreachable, publishes past maxPendingPublishes reject PUBLISH_BUFFER_FULL at once; the others go out on reconnect', async () => {
    const r = await rig(kind);
    const { exchange, queue } = names('pf-buffer');
    const bus = await connectBus({ url: r.url, exchange, maxPendingPublishes: 5, reconnectDelayMs: 100, publishTimeoutMs: 10_000 });
    const view = await brokerView(r.directUrl);
    await view.declareBoundQueue(exchange, queue, 'order.*');
    const states = statesOf(bus);

    r.goOffline();
    await waitFor(() => states.at(-1) === 'disconnected', { description: 'the bus to notice the broker is gone' });
    const events = Array.from({ length: 5 }, (_, n) => orderEvent('created', { n }));
    const outcomes: string[] = [];
    const waiting = events.map((event) =>
      bus.publish(event).then(
        () => void outcomes.push('confirmed'),
        (error: unknown) => void outcomes.push(`rejected: ${String(error)}`),
      ),
    );

    // At once: not after publishTimeoutMs, nor when the broker is back.
    const tooLate = new Promise((_, reject) => setTimeout(() => reject(new Error('the 6th publish still pending after 100 ms')), 100));
    await expectRxError(Promise.race([bus.publish(orderEvent('created', { n: 5 })), tooLate]), PublishError, ErrorCode.PUBLISH_BUFFER_FULL);
    await new Promise((resolve) => setImmediate(resolve));
    expect(outcomes).toEqual([]); // the five wait: neither confirmed nor rejected nor dropped

    r.goOnline();
    await Promise.all(waiting);
    expect(outcomes).toEqual(Array(5).fill('confirmed'));
    await waitForDepth(view, queue, 5);
    const delivered = (await view.take(queue)).map((m) => JSON.parse(m.body.toString('utf8')).id as string);
    expect(delivered.sort()).toEqual(events.map((e) => e.id).sort());
    await bus.publish(orderEvent('created', { n: 6 })); // the buffer has room again
  });

  it('publish flow control - with mandatory, an event no queue is bound for rejects PUBLISH_UNROUTABLE and a routable one resolves', async () => {
    const { url } = await rig(kind);
    const { exchange, queue } = names('pf-mandatory');
    const bus = await connectBus({ url, exchange, mandatory: true });
    const view = await brokerView(url);
    await view.declareBoundQueue(exchange, queue, 'order.paid');

    await expectRxError(bus.publish(orderEvent('created')), PublishError, ErrorCode.PUBLISH_UNROUTABLE);
    const paid = orderEvent('paid');
    await bus.publish(paid);
    await expectRxError(bus.publish(orderEvent('shipped')), PublishError, ErrorCode.PUBLISH_UNROUTABLE);
    await bus.publish(orderEvent('paid'));

    await waitForDepth(view, queue, 2);
    const [first] = await view.take(queue);
    expect(JSON.parse(first!.body.toString('utf8')).id).toBe(paid.id);
  });
});

describe('publish flow control (amqp, stalled network)', () => {
  it('publish flow control - while the network is stalled, publishes past maxPendingPublishes awaiting a confirm reject PUBLISH_BUFFER_FULL', async () => {
    const proxy = await tcpProxy(amqpUrl());
    const { exchange } = names('pf-stall');
    const bus = await connectBus({ url: proxy.url, exchange, maxPendingPublishes: 5, publishTimeoutMs: 10_000 });
    await bus.publish(orderEvent()); // the channel is open and has confirmed once

    proxy.freeze(); // every byte held, both ways: no confirm can come
    const outcomes: string[] = [];
    const publishing = Array.from({ length: 6 }, (_, n) =>
      bus.publish(orderEvent('created', { n })).then(
        () => void outcomes.push('confirmed'),
        (error: unknown) => void outcomes.push((error as PublishError).code),
      ),
    );
    await waitFor(() => outcomes.length > 0, { timeoutMs: 1_000, description: 'the 6th publish to be refused' });
    expect(outcomes).toEqual([ErrorCode.PUBLISH_BUFFER_FULL]);

    proxy.resume();
    await Promise.all(publishing);
    expect(outcomes.filter((o) => o === 'confirmed')).toHaveLength(5);
  });
});
