import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createEvent, ErrorCode, EventBus, isRxPubsubError, silentLogger } from '../../src/index.js';
import { MemoryTransport } from '../../src/blocks.js';
import { advanceVirtualTime } from '../../src/testing/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { teardown, uniqueName } from '../support/broker.js';
import { virtualClock } from '../support/memory.js';

describe('transport option', () => {
  it('transport option - a bus uses the transport it is given, routes through it, and closes it', async () => {
    const name = uniqueName('injected');
    teardown(() => void MemoryBroker.reset(name));
    const scheduler = virtualClock(MemoryBroker.named(name));
    const transport = new MemoryTransport({ url: `memory://${name}`, logger: silentLogger });
    const states = firstValueFrom(transport.state$.pipe(toArray()));
    const bus = await EventBus.connect({ transport, queue: 'q' });
    const handled: string[] = [];
    bus.handle('order.*', (event) => void handled.push(event.action));
    await bus.ready();

    await bus.publish(createEvent({ domain: 'order', action: 'paid', data: {} }));
    await advanceVirtualTime(scheduler, 0);
    expect(bus.stats().acked).toBe(1);
    expect(handled).toEqual(['paid']);
    expect(transport.broker.bindings('q')).toEqual([{ exchange: 'events', routingKey: 'order.#' }]);

    await bus.close();
    expect((await states).map((s) => s.status)).toEqual(['connecting', 'connected', 'closed']);
  });

  it('transport option - refused together with url, or when it is not a transport', async () => {
    const transport = new MemoryTransport({ url: `memory://${uniqueName('both')}`, logger: silentLogger });
    for (const options of [{ transport, url: 'memory://x' } as never, { transport: {} as never }]) {
      const error = await EventBus.connect(options).catch((e: unknown) => e);
      expect(isRxPubsubError(error, ErrorCode.INVALID_OPTIONS)).toBe(true);
      expect((error as Error).message).toMatch(/EventBus option transport/);
    }
    await transport.close();
  });
});
