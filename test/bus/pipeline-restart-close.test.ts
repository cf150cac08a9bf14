import { EMPTY } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { MemoryTransport } from '../../src/blocks.js';
import { EventBus, silentLogger, type QueueConsumer, type Transport } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { teardown, uniqueName, waitFor } from '../support/broker.js';

// A user-supplied transport whose consumer's deliveries$ completes at once: the bus restarts its pipeline
// with a growing pause (100 ms doubling to 5 s) on a plain setTimeout.
function endingTransport(): Transport {
  const name = uniqueName('restart');
  teardown(() => void MemoryBroker.reset(name));
  const inner = new MemoryTransport({ url: `memory://${name}`, logger: silentLogger });
  return {
    get state$() { return inner.state$; },
    encode: (event) => inner.encode(event),
    connect: (exchange) => inner.connect(exchange),
    publish: (message) => inner.publish(message),
    close: (timeoutMs) => inner.close(timeoutMs),
    consumer: (spec) => {
      const consumer = inner.consumer(spec);
      return {
        deliveries$: EMPTY,
        get status$() { return consumer.status$; },
        bind: (key) => consumer.bind(key),
        unbind: (key) => consumer.unbind(key),
        ready: () => consumer.ready(),
        retryQueue: (ms) => consumer.retryQueue(ms),
        redeclare: () => consumer.redeclare(),
      } satisfies QueueConsumer;
    },
  };
}

describe('review - pipeline restart loop vs close', () => {
  it('pipeline restart - close() does not wait for the pending restart pause', async () => {
    const bus = await EventBus.connect({ transport: endingTransport(), queue: 'q', logger: silentLogger });
    bus.handle('order.*', () => undefined);
    // Let the pause grow: 100+200+400+800+1600 ms.
    await waitFor(() => bus.stats().pipelineRestarts >= 5, { intervalMs: 20, timeoutMs: 12_000, description: '5 pipeline restarts' });
    const started = Date.now();
    await bus.close();
    expect(Date.now() - started).toBeLessThan(500);
  }, 15_000);

  it('pipeline restart - close({ timeoutMs }) leaves no restart timer keeping the process alive', async () => {
    const bus = await EventBus.connect({ transport: endingTransport(), queue: 'q', logger: silentLogger });
    bus.handle('order.*', () => undefined);
    await waitFor(() => bus.stats().pipelineRestarts >= 5, { intervalMs: 20, timeoutMs: 12_000, description: '5 pipeline restarts' });
    const before = new Set(process.getActiveResourcesInfo());
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await bus.close({ timeoutMs: 50 });
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(before.size).toBeGreaterThan(0);
    // the 5 s restart pause must be cancelled by close
    expect(timersAfter).toBeLessThan(timersBefore);
  }, 15_000);
});
