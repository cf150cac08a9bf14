/**
 * The handler context against a real broker (and memory://, for parity):
 * attempt through real retries (delay queues, x-death, user-id), headers of a
 * message published by a foreign client, and close()'s deadline aborting a
 * hanging handler's signal.
 */
import { describe, expect, it } from 'vitest';
import { ConnectionError, ErrorCode, type HandlerContext } from '../../src/index.js';
import { eventJson } from '../../src/event/serializer.js';
import {
  brokerView,
  cleanupRetryQueues,
  collectSettlements,
  connectBus,
  names,
  orderEvent,
  rig,
  TRANSPORTS,
  waitFor,
  waitForCount,
} from '../support/rig.js';

describe.each(TRANSPORTS)('handler context (%s)', (kind) => {
  it('handler context - attempt is 1, 2, 3 through the delay queues, and redelivered stays false', async () => {
    const { url } = await rig(kind);
    const { exchange, queue } = names('ctx-attempt');
    cleanupRetryQueues(url, queue, [50]);
    const bus = await connectBus({ url, exchange, queue, retry: { attempts: 3, delaysMs: [50] } });
    const settlements = collectSettlements(bus);
    const seen: [number, boolean][] = [];
    bus.handle('order.created', (_event, { attempt, redelivered }) => {
      seen.push([attempt, redelivered]);
      if (attempt < 3) throw new Error(`attempt ${attempt}`);
    });
    await bus.ready();
    await bus.publish(orderEvent());
    await waitForCount(settlements, 3, 'settlements');
    expect(settlements.map((s) => s.outcome.kind)).toEqual(['retry', 'retry', 'ack']);
    expect(seen).toEqual([
      [1, false],
      [2, false],
      [3, false],
    ]);
  });

  it('handler context - headers of a message a foreign client published, the broker\'s x- ones included, read-only', async () => {
    const { url } = await rig(kind);
    const { exchange, queue } = names('ctx-headers');
    const bus = await connectBus({ url, exchange, queue });
    const seen: Readonly<Record<string, unknown>>[] = [];
    bus.handle('order.created', (_event, { headers }) => void seen.push(headers));
    await bus.ready();
    const event = orderEvent();
    const view = await brokerView(url);
    await view.publish(exchange, 'order.created', Buffer.from(eventJson(event)), {
      contentType: 'application/json',
      messageId: event.id,
      headers: { tenant: 'acme', count: 3, flags: [true, 'x'], 'x-custom': 'theirs' },
    });
    await waitFor(() => seen.length === 1, { timeoutMs: 10_000, description: 'the delivery' });
    expect(seen[0]).toEqual({ tenant: 'acme', count: 3, flags: [true, 'x'], 'x-custom': 'theirs' });
    expect(Object.isFrozen(seen[0])).toBe(true);
    expect(Object.isFrozen(seen[0]?.flags)).toBe(true);
  });

  it('handler context - close() past its deadline aborts a hanging handler\'s signal with CLOSED, and the delivery goes back', async () => {
    const { url } = await rig(kind);
    const { exchange, queue } = names('ctx-close');
    const bus = await connectBus({ url, exchange, queue, handlerTimeoutMs: 60_000 });
    let context: HandlerContext | undefined;
    bus.handle('order.created', (_event, given) => {
      context = given;
      return new Promise<void>((resolve) => given.signal.addEventListener('abort', () => resolve()));
    });
    await bus.ready();
    await bus.publish(orderEvent());
    await waitFor(() => context !== undefined, { timeoutMs: 10_000, description: 'the handler to start' });

    const started = performance.now();
    await bus.close({ timeoutMs: 100 });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(context?.signal.aborted).toBe(true);
    expect(context?.signal.reason).toBeInstanceOf(ConnectionError);
    expect((context?.signal.reason as ConnectionError).code).toBe(ErrorCode.CLOSED);

    // Requeued, not acked: a new bus on the queue gets it, marked redelivered.
    const again = await connectBus({ url, exchange, queue });
    const redelivered: boolean[] = [];
    again.handle('order.created', (_event, given) => void redelivered.push(given.redelivered));
    await again.ready();
    await waitFor(() => redelivered.length === 1, { timeoutMs: 10_000, description: 'the redelivery' });
    expect(redelivered).toEqual([true]);
  });
});
