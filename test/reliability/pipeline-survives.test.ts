/**
 * No application code run inside the delivery pipeline (handlers and their
 * errors, settlements$ and on$ observers) may stop consumption or crash the
 * process; and a pipeline that ends anyway while the bus is open is started again.
 */
import { map, Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createEvent, defineEvent, type Delivery, EventBus, type StandardSchemaV1 } from '../../src/index.js';
import { rawChannel } from '../support/broker.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { brokerView, collectSettlements, connectBus, names, orderEvent, recordingLogger, teardown, TRANSPORTS, waitFor, waitForCount } from '../support/rig.js';
import { wrappedMemoryTransport } from '../support/wrapped-transport.js';

/** An Error whose `message` getter throws: messageOf, loggers and reason headers all read it. */
function errorWithThrowingMessage(): Error {
  const error = new Error('placeholder');
  Object.defineProperty(error, 'message', {
    get() {
      throw new Error('message getter broke');
    },
  });
  return error;
}

async function consumersOf(kind: 'amqp' | 'memory', url: string, queue: string): Promise<number> {
  if (kind === 'memory') return MemoryBroker.named(new URL(url).host).consumers(queue).length;
  return (await (await rawChannel()).checkQueue(queue)).consumerCount;
}

describe.each(TRANSPORTS)('pipeline survives (%s)', (kind, makeUrl) => {
  /** A bus with an order.* handler that fails on order.failed, and what it handled. */
  async function busWithHandler(prefix: string) {
    const url = makeUrl();
    const { exchange, queue } = names(prefix);
    const logger = recordingLogger();
    const bus = await connectBus({ url, exchange, queue, logger });
    const handled: string[] = [];
    bus.handle('order.*', (event) => {
      if (event.action === 'failed') return Promise.reject(errorWithThrowingMessage());
      handled.push(event.action);
      return undefined;
    });
    await bus.ready();
    return { bus, url, queue, handled, logger };
  }

  async function expectStillConsuming(bus: EventBus, url: string, queue: string, handled: string[]): Promise<void> {
    await bus.publish(orderEvent('later'));
    await waitFor(() => handled.includes('later'), { description: 'a later event to be handled' });
    expect(await consumersOf(kind, url, queue)).toBeGreaterThan(0);
  }

  it('pipeline survives - a handler rejecting with an Error whose message getter throws is dead-lettered; later events are handled', async () => {
    const { bus, url, queue, handled } = await busWithHandler('surv-message');
    const settlements = collectSettlements(bus);
    await bus.publish(orderEvent('failed'));
    await waitForCount(settlements, 1, 'settlements');
    expect(settlements[0]?.outcome.kind).toBe('dead-letter');
    await expectStillConsuming(bus, url, queue, handled);
    expect(bus.stats().pipelineRestarts).toBe(0);
  });

  it('pipeline survives - a settlements$ observer that throws on every next and on complete is logged, never thrown', async () => {
    const { bus, url, queue, handled, logger } = await busWithHandler('surv-settlements');
    let calls = 0;
    bus.settlements$.subscribe({
      next: () => {
        calls++;
        throw errorWithThrowingMessage();
      },
      complete: () => {
        throw new Error('complete broke');
      },
    });
    await bus.publish(orderEvent('created'));
    await expectStillConsuming(bus, url, queue, handled);
    await waitFor(() => calls >= 2, { description: 'the observer to be called twice' });
    expect(handled).toEqual(['created', 'later']);
    expect(logger.lines.some((line) => line.level === 'error' && /observer of settlements\$ threw/.test(line.message))).toBe(true);
    await bus.close(); // completes settlements$: the throwing complete must not escape either
  });

  it('pipeline survives - an on$ observer that throws (next and complete) does not stop the handlers nor the other streams', async () => {
    const { bus, url, queue, handled } = await busWithHandler('surv-stream');
    bus.on$('order.*').subscribe({
      next: () => {
        throw new Error('stream observer broke');
      },
      complete: () => {
        throw new Error('stream complete broke');
      },
    });
    bus.on$('order.*').subscribe(() => {
      throw errorWithThrowingMessage();
    });
    const seen: string[] = [];
    bus.on$('order.*').subscribe((event) => void seen.push(event.action));
    await bus.ready();
    await bus.publish(orderEvent('created'));
    await expectStillConsuming(bus, url, queue, handled);
    expect(seen).toEqual(['created', 'later']);
    await bus.close();
  });

  it('pipeline survives - an on$ stream whose operator throws errors that stream alone; with no error callback it is logged, not thrown', async () => {
    const { bus, url, queue, handled, logger } = await busWithHandler('surv-operator');
    bus.on$('order.*').pipe(map(() => {
      throw new Error('operator broke');
    })).subscribe();
    await bus.ready();
    await bus.publish(orderEvent('created'));
    await expectStillConsuming(bus, url, queue, handled);
    expect(logger.lines.some((line) => line.level === 'error' && line.fields.reason === 'operator broke')).toBe(true);
  });
});

describe.each(TRANSPORTS)('pipeline survives - catalog (%s)', (_kind, makeUrl) => {
  it('pipeline survives - an upcaster and a schema that throw hostile errors dead-letter their event; later events are handled', async () => {
    const schema: StandardSchemaV1 = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (value) => {
          if ((value as { bad?: boolean }).bad) throw errorWithThrowingMessage();
          return { value };
        },
      },
    };
    const Created = defineEvent('order', 'created', {
      version: 2,
      schema,
      upcast: {
        1: () => {
          throw errorWithThrowingMessage();
        },
      },
    });
    const url = makeUrl();
    const { exchange, queue } = names('surv-catalog');
    const bus = (await connectBus({ url, exchange, queue, events: [Created] } as never)) as unknown as EventBus;
    const settlements = collectSettlements(bus);
    const handled: unknown[] = [];
    bus.handle('order.created', (event) => void handled.push(event.data));
    await bus.ready();
    // A version 1 event (its upcaster throws) and one whose data the schema throws on, both sent as a foreign publisher would.
    const view = await brokerView(url);
    for (const event of [createEvent({ domain: 'order', action: 'created', data: { v: 1 }, version: 1 }), createEvent({ domain: 'order', action: 'created', data: { bad: true }, version: 2 })]) {
      await view.publish(exchange, 'order.created', Buffer.from(JSON.stringify(event)), { contentType: 'application/json', messageId: event.id });
    }
    await waitForCount(settlements, 2, 'settlements');
    expect(settlements.map((s) => s.outcome.kind)).toEqual(['dead-letter', 'dead-letter']);
    await bus.publish(Created.create({ ok: true } as never));
    await waitFor(() => handled.length === 1, { description: 'a later event to be handled' });
  });
});

describe('pipeline survives - restart', () => {
  it('pipeline survives - a consumer whose deliveries$ errors is subscribed again, logged at error level and counted', async () => {
    // A transport whose consumer's deliveries$ errors on its first subscription, as a broken transport might.
    const { transport } = wrappedMemoryTransport('restart', { deliveries$: flaky });
    const logger = recordingLogger();
    const bus = await EventBus.connect({ transport, queue: 'orders', logger });
    teardown(() => bus.close());
    const states: string[] = [];
    const watching = bus.state$.subscribe((state) => states.push('reason' in state ? `${state.status}: ${state.reason}` : state.status));
    teardown(() => watching.unsubscribe());
    const handled: string[] = [];
    bus.handle('order.*', (event) => void handled.push(event.action));
    await bus.ready();
    await bus.publish(createEvent({ domain: 'order', action: 'created', data: {} }));
    await waitFor(() => handled.includes('created'), { description: 'the event to be handled after the restart' });
    expect(bus.stats().pipelineRestarts).toBe(1);
    // Visible to the caller while it was down, and back to connected once restarted.
    expect(states).toEqual(['connected', expect.stringMatching(/^degraded: PIPELINE_STOPPED: deliveries\$ broke; restarting in 100 ms$/), 'connected']);
    expect(logger.lines.some((line) => line.level === 'error' && /delivery pipeline stopped/.test(line.message))).toBe(true);
  });
});

// `deliveries$`, erroring on its first subscription only.
function flaky(deliveries$: Observable<Delivery>): Observable<Delivery> {
  let first = true;
  return new Observable<Delivery>((subscriber) => {
    if (!first) return deliveries$.subscribe(subscriber);
    first = false;
    subscriber.error(new Error('deliveries$ broke'));
    return undefined;
  });
}
