import { finalize, Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/index.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import { silentLogger } from '../../src/logger.js';
import type { Transport } from '../../src/transport/transport.js';
import { brokerView, connectBus, names, orderEvent, recordingLogger, statesOf, teardown, TRANSPORTS, waitFor, waitForDepth } from '../support/rig.js';

describe.each(TRANSPORTS)('close errors (%s)', (_kind, makeUrl) => {
  it('close errors - a handler teardown that throws past the deadline: close resolves, the delivery is requeued, the connections close, the error is logged', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('close-teardown');
    const logger = recordingLogger();
    const bus = await connectBus({ url, exchange, queue, logger });
    const states = statesOf(bus);
    let started = 0;
    bus.handle('order.created', () => {
      started++;
      return new Observable<void>(() => () => {
        throw new Error('teardown');
      });
    });
    await bus.ready();
    await bus.publish(orderEvent());
    await waitFor(() => started === 1, { description: 'the handler to start' });

    await bus.close({ timeoutMs: 500 });
    expect(states.at(-1)).toBe('closed');
    await waitForDepth(await brokerView(url), queue, 1);
    const errors = logger.lines.filter((line) => line.level === 'error');
    expect(errors.map((line) => String(line.fields.reason)).join('\n')).toMatch(/teardown/);
  });

  it('close errors - on$ and settlements$ subscribers whose teardown throws: close resolves and every other subscriber completes', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('close-subscribers');
    const bus = await connectBus({ url, exchange, queue });
    const completed: string[] = [];
    const throwing = (): never => {
      throw new Error('finalize');
    };
    const subscriptions = [
      bus.on$('order.*').pipe(finalize(throwing)).subscribe(),
      bus.on$('order.*').subscribe({ complete: () => void completed.push('on$') }),
      bus.settlements$.pipe(finalize(throwing)).subscribe(),
      bus.settlements$.subscribe({ complete: () => void completed.push('settlements$') }),
    ];
    teardown(() => subscriptions.forEach((s) => s.unsubscribe()));
    await bus.ready();
    const states = statesOf(bus);

    await bus.close();
    expect(completed.sort()).toEqual(['on$', 'settlements$']);
    expect(states.at(-1)).toBe('closed');
  });
});

describe('close errors (transport)', () => {
  it('close errors - a transport whose close rejects: bus.close resolves and logs it', async () => {
    const url = `memory://${names('close-reject').queue}`;
    const transport = new MemoryTransport({ url, logger: silentLogger });
    teardown(() => transport.close());
    const failing: Transport = {
      state$: transport.state$,
      encode: (event) => transport.encode(event),
      connect: (exchange) => transport.connect(exchange),
      publish: (message) => transport.publish(message),
      consumer: (spec) => transport.consumer(spec),
      close: async () => {
        await transport.close();
        throw new Error('cannot close');
      },
    };
    const logger = recordingLogger();
    const bus = await EventBus.connect({ transport: failing, logger });
    await bus.close();
    expect(logger.lines.some((line) => line.level === 'error' && String(line.fields.reason).includes('cannot close'))).toBe(true);
  });
});

describe.each(TRANSPORTS)('close errors, state$ (%s)', (_kind, makeUrl) => {
  it('close errors - a state$ subscriber whose teardown throws: close resolves and the other state$ subscribers complete', async () => {
    const url = makeUrl();
    const { exchange, queue } = names('close-state');
    const bus = await connectBus({ url, exchange, queue });
    bus.handle('order.created', () => undefined);
    await bus.ready();
    const completed: string[] = [];
    const subscriptions = [
      bus.state$.pipe(finalize(() => {
        throw new Error('finalize');
      })).subscribe(),
      bus.state$.subscribe({ complete: () => void completed.push('state$') }),
    ];
    teardown(() => subscriptions.forEach((s) => s.unsubscribe()));
    await bus.close();
    expect(completed).toEqual(['state$']);
  });
});
