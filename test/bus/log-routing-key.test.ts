/**
 * The 'retrying' / 'dead-lettered' warn lines name the routing key the event was published with. A retried
 * copy comes back from `Q.retry.<ms>` through the default exchange, keyed by the queue's name: the line
 * for its second attempt used to say `routingKey: 'q'`, which points an operator at nothing.
 */
import { describe, expect, it } from 'vitest';
import { EventBus, createEvent } from '../../src/index.js';
import type { Logger } from '../../src/logger.js';
import { uniqueName } from '../support/bus.js';

describe('logging - failed deliveries', () => {
  it('log - the retry and dead-letter lines of a retried copy carry the published routing key, not the queue name (memory)', async () => {
    const lines: { message: string; fields: Record<string, unknown> }[] = [];
    const warn = (fields: Record<string, unknown>, message: string) => void lines.push({ message, fields });
    const logger: Logger = { debug: () => {}, info: () => {}, warn, error: warn, child: () => logger };
    const bus = await EventBus.connect({
      url: `memory://${uniqueName('logkey')}`,
      queue: 'q',
      logger,
      retry: { attempts: 2, delaysMs: 5 },
    });
    try {
      bus.handle('order.created', () => {
        throw new Error('down');
      });
      await bus.ready();
      await bus.publish(createEvent({ domain: 'order', action: 'created', data: {} }));
      const deadline = Date.now() + 5_000;
      while (bus.stats().deadLettered < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      const failed = lines.filter((l) => l.message === 'retrying' || l.message === 'dead-lettered');
      expect(failed.map((l) => [l.message, l.fields.attempt, l.fields.routingKey])).toEqual([
        ['retrying', 1, 'order.created'],
        ['dead-lettered', 2, 'order.created'],
      ]);
    } finally {
      await bus.close();
    }
  });
});
