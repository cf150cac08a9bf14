/**
 * The logger contract: pino's argument order, so a real pino logger receives
 * every field; and a logger that throws never stops consumption.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type Logger } from '../../src/index.js';
import { brokerView, collectSettlements, connectBus, names, orderEvent, TRANSPORTS, waitFor, waitForCount, waitForDepth } from '../support/rig.js';

/** A pino logger writing JSON lines into an array. */
function pinoLines(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

describe.each(TRANSPORTS)('logger (%s)', (_kind, makeUrl) => {
  it('logger - a real pino logger plugs in as is and receives the fields of a dead letter (routing key, reason, attempt)', async () => {
    const { logger, lines } = pinoLines();
    expectTypeOf(logger).toMatchTypeOf<Logger>();
    const { exchange, queue } = names('pino');
    const bus = await connectBus({ url: makeUrl(), exchange, queue, logger });
    bus.handle('order.*', () => {
      throw new Error('cannot ship');
    });
    await bus.ready();
    await bus.publish(orderEvent('created'));
    await waitFor(() => lines.some((line) => line.msg === 'dead-lettered'), { description: 'the dead-lettered line' });
    const line = lines.find((l) => l.msg === 'dead-lettered');
    expect(line).toMatchObject({ level: 40, routingKey: 'order.created', attempt: 1, reason: 'order.*: cannot ship' });
  });

  it('logger - a logger whose every method throws never stops consumption: later events are still handled', async () => {
    const explode = (): never => {
      throw new Error('logger is broken');
    };
    const logger = { debug: explode, info: explode, warn: explode, error: explode, child: explode };
    const { exchange, queue } = names('badlog');
    const bus = await connectBus({ url: makeUrl(), exchange, queue, logger });
    const settlements = collectSettlements(bus);
    bus.handle('order.failed', () => {
      throw new Error('handler fails: the bus logs a warning');
    });
    const handled: string[] = [];
    bus.handle('order.created', (event) => void handled.push(event.id));
    await bus.ready();
    await bus.publish(orderEvent('failed'));
    await waitForCount(settlements, 1, 'settlement of the failing event');
    const later = [orderEvent('created'), orderEvent('created'), orderEvent('created')];
    for (const event of later) await bus.publish(event);
    await waitForCount(handled, 3, 'events handled after the logger threw');
    expect(handled).toEqual(later.map((e) => e.id));
    expect(settlements[0]?.outcome.kind).toBe('dead-letter');
  });

  it('logger - a handler error quoting a connection string never puts its password in a log line or the dead letter', async () => {
    const { logger, lines } = pinoLines();
    const url = makeUrl();
    const { exchange, queue } = names('pwlog');
    const bus = await connectBus({ url, exchange, queue, logger });
    bus.handle('order.*', () => {
      throw new Error('could not reach postgres://app:s3cr%40t:pw@db.internal:5432/orders');
    });
    await bus.ready();
    await bus.publish(orderEvent('created'));
    const view = await brokerView(url);
    await waitForDepth(view, `${queue}.dlq`, 1);
    const [dead] = await view.take(`${queue}.dlq`);
    const shown = JSON.stringify([lines, dead?.properties.headers]);
    expect(shown).toContain('postgres://app:***@db.internal:5432/orders');
    expect(shown).not.toContain('s3cr');
  });
});
