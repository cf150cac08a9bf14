import { EMPTY } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EventBus, silentLogger, type Transport } from '../../src/index.js';
import { waitFor } from '../support/broker.js';
import { wrappedMemoryTransport } from '../support/wrapped-transport.js';

// A user-supplied transport whose consumer's deliveries$ completes at once: the bus restarts its pipeline
// with a growing pause (100 ms doubling to 5 s) on a plain setTimeout.
function endingTransport(): Transport {
  return wrappedMemoryTransport('restart', { deliveries$: () => EMPTY }).transport;
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
