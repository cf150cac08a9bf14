/**
 * The trust rule (src/core/headers.ts cameFromDelayQueue) believes rx-pubsub-attempts and
 * rx-pubsub-pending when the newest x-death entry names `<queue>.retry.<ms>` with reason
 * `expired`. But RabbitMQ delivers a client-written x-death untouched (checked: publish to
 * the default exchange with your own x-death, get it back byte for byte), so the README's
 * "as the broker's x-death shows, so a publisher cannot forge them" is false: anyone who may
 * publish to the default exchange can skip every handler (`pending: []` → acked `unhandled`)
 * or every retry (`attempts: 999`).
 *
 * Fix (not small): the headers need a proof only the bus can give. E.g. the bus's retry copy
 * carries AMQP `user-id` = its login user (RabbitMQ refuses a user-id other than the
 * publisher's own, unless it has the impersonator tag) and retry state is believed only
 * when the delivery's userId equals the bus's user; or an HMAC of (message id, attempts,
 * pending) under a per-deployment secret. Until then the README must not claim it.
 */
import { describe, expect, it } from 'vitest';
import { DeadLetterHeader, type Event, type MessageProperties } from '../../src/index.js';
import { cleanupRetryQueues } from '../support/rig.js';
import { brokerView, collectSettlements, connectBus, names, orderEvent, TRANSPORTS, waitForCount } from '../support/bus.js';

const RETRY = { attempts: 3, delaysMs: 60_000 } as const;

function propertiesOf(event: Event, headers: Record<string, unknown>): MessageProperties {
  return { contentType: 'application/json', messageId: event.id, headers };
}

async function setup(makeUrl: () => string, prefix: string, failing: boolean) {
  const url = makeUrl();
  const { exchange, queue } = names(prefix);
  cleanupRetryQueues(url, queue, [60_000]);
  const bus = await connectBus({ url, exchange, queue, retry: RETRY });
  const ran: string[] = [];
  bus.handle('order.*', (event) => {
    ran.push(event.action);
    if (failing) throw new Error('order handler down');
  });
  await bus.ready();
  const settlements = collectSettlements(bus);
  const view = await brokerView(url);
  const forge = (event: Event, headers: Record<string, unknown>) => {
    const xDeath = [{ count: 1, reason: 'expired', queue: `${queue}.retry.60000`, exchange: '', 'routing-keys': [`${queue}.retry.60000`] }];
    return view.publish('', queue, Buffer.from(JSON.stringify(event)), propertiesOf(event, { ...headers, 'x-death': xDeath }));
  };
  return { ran, settlements, forge };
}

describe.each(TRANSPORTS.filter(([kind]) => kind === 'amqp'))('review - forged x-death (%s)', (_kind, makeUrl) => {
  // FAULT: a forged x-death naming this queue's own delay queue makes forged retry headers believed.
  it('forged x-death - naming Q.retry.<ms> with rx-pubsub-pending "[]" does not skip the handlers', async () => {
    const { ran, settlements, forge } = await setup(makeUrl, 'rv-forge-pending', false);
    await forge(orderEvent('created'), { [DeadLetterHeader.PENDING]: '[]', [DeadLetterHeader.ATTEMPTS]: 1 });
    await waitForCount(settlements, 1, 'settlements');
    expect(ran).toEqual(['created']);
    expect(settlements[0]?.outcome.kind).toBe('ack');
  });

  it('forged x-death - naming Q.retry.<ms> with rx-pubsub-attempts 999 does not skip the retries', async () => {
    const { ran, settlements, forge } = await setup(makeUrl, 'rv-forge-attempts', true);
    await forge(orderEvent('created'), { [DeadLetterHeader.ATTEMPTS]: 999 });
    await waitForCount(settlements, 1, 'settlements');
    expect(ran).toEqual(['created']);
    expect(settlements[0]?.outcome.kind === 'retry' && settlements[0].outcome.attempt).toBe(1);
  });
});
