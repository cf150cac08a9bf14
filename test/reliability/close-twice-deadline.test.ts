/**
 * close() is idempotent by returning the first call's Promise (`this.closing ??= this.shutdown(timeoutMs)`):
 * a later close({ timeoutMs }) (the SIGTERM handler, after some code path already called close() without a
 * deadline) gets no deadline at all and waits for every handler up to handlerTimeoutMs, and for confirms up to
 * publishTimeoutMs. Fix (not small): the shutdown keeps the earliest deadline asked for, e.g. a Subject of
 * deadlines the waits in shutdown() race against, and hands the transport the earliest.
 */
import { describe, expect, it } from 'vitest';
import { createEvent } from '../../src/index.js';
import { connectBus, names, TRANSPORTS, waitFor } from '../support/bus.js';

describe.each(TRANSPORTS.filter(([kind]) => kind === 'memory'))('review - close twice (%s)', (_kind, makeUrl) => {
  it('close - a later close({ timeoutMs }) bounds a close() already under way', async () => {
    const { exchange, queue } = names('rv-close2');
    const bus = await connectBus({ url: makeUrl(), exchange, queue, handlerTimeoutMs: 8_000 });
    let started = false;
    bus.handle('order.*', () => { started = true; return new Promise(() => {}); });
    await bus.ready();
    await bus.publish(createEvent({ domain: 'order', action: 'created', data: {} }));
    await waitFor(() => started, { intervalMs: 5, timeoutMs: 8_000, description: 'the handler started' });
    const first = bus.close();
    const t0 = Date.now();
    await bus.close({ timeoutMs: 200 });
    expect(Date.now() - t0).toBeLessThan(1_500);
    await first;
  }, 15_000);
});
