/**
 * Retries and poison messages in the delivery pipeline, in virtual time: which
 * outcome a failure gets (retry, dead-letter, or both), with which attempt and
 * delay, and what runs when a retried delivery comes back from its delay queue.
 *
 * Settlements are drawn as letters: `a` ack, `u` unhandled, `r` retry, `d` dead-letter.
 * One frame is 1 ms.
 */
import { lastValueFrom, of, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { settleDelivery } from '../../src/bus/settle-delivery.js';
import { DeadLetterHeader, retryOf } from '../../src/bus/dead-letter.js';
import type { Failed } from '../../src/core/outcome.js';
import type { HandlerFn } from '../../src/core/handler.js';
import type { PipelineConfig } from '../../src/core/process-deliveries.js';
import type { RetryPolicy } from '../../src/core/retry-policy.js';
import { DeliveryError, ErrorCode, isRxPubsubError } from '../../src/errors.js';
import { silentLogger } from '../../src/logger.js';
import type { OutboundMessage, QueueConsumer, Transport } from '../../src/transport/transport.js';
import { comeBack, harness, marbles, outcomeOf, recordingDelivery, type RecordingDelivery } from '../support/marbles.js';

const DB_DOWN = new Error('db down');
const SMTP_DOWN = new Error('smtp down');

const THREE: RetryPolicy = { attempts: 3, delaysMs: [1_000, 5_000] };

const orderCreated = (id = 'e1') => recordingDelivery('order.created', id);

/** `order.created` as delivered again after `attempts` failed attempts (headers as a retry copy carries them). */
/** A delivery back from the delay queue `orders.retry.1000` after `attempts` attempts (the broker's x-death says so). */
function afterAttempts(attempts: number, id = 'e1'): RecordingDelivery {
  const xDeath = [{ count: attempts, reason: 'expired', queue: 'orders.retry.1000', exchange: '', 'routing-keys': ['orders.retry.1000'] }];
  return recordingDelivery('orders', id, { exchange: '', publishedAs: 'order.created', headers: { [DeadLetterHeader.ATTEMPTS]: attempts, 'x-death': xDeath } });
}

/** A handler that counts its calls and returns what `result` gives for that call (1 = the first). */
function counted(result: (call: number) => ReturnType<HandlerFn>): HandlerFn & { readonly calls: () => number } {
  let calls = 0;
  return Object.assign(() => result(++calls), { calls: () => calls });
}

describe('retries - outcome of a failure', () => {
  it(
    'retries - a failing handler with attempts left → retry with attempt 1 and the first delay; the delivery is acked',
    marbles((m) => {
      const h = harness(m.scheduler);
      const d = orderCreated();
      const deliveries = m.cold(' a|    ', { a: d });
      const failing = m.cold('    --#   ', {}, DB_DOWN);
      const expected = '          --(r|)';
      h.registry.add('order.*', { handler: () => failing, retry: THREE });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.expect(failing).toHaveSubscriptions('^-!');
      m.flush();

      expect(h.settlements[0]?.outcome).toStrictEqual({
        kind: 'retry',
        delayMs: 1_000,
        pending: ['order.*'],
        deadLetter: undefined,
        attempt: 1,
        reason: 'order.*: db down',
        failures: [{ pattern: 'order.*', error: DB_DOWN }],
      });
      expect(d.settledWith).toEqual(['ack']);
    }),
  );

  it(
    'retries - the attempt comes from the headers: the second attempt retries after the second delay, the third is dead-lettered',
    marbles((m) => {
      const h = harness(m.scheduler);
      const second = afterAttempts(1, 'e2');
      const third = afterAttempts(2, 'e3');
      const deliveries = m.cold(' ab|     ', { a: second, b: third });
      const failing = m.cold('    --#     ', {}, DB_DOWN);
      const expected = '          --r(d|) ';
      h.registry.add('order.*', { handler: () => failing, retry: THREE });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      const retry = outcomeOf(h.settlements[0], 'retry');
      expect(retry.attempt).toBe(2);
      expect(retry.delayMs).toBe(5_000);
      expect(h.settlements[1]?.outcome).toStrictEqual({
        kind: 'dead-letter',
        attempt: 3,
        reason: 'order.*: db down',
        failures: [{ pattern: 'order.*', error: DB_DOWN }],
      });
      expect(third.settledWith).toEqual(['reject']);
    }),
  );

  it(
    'retries - one handler with attempts left, one out of them → retry, with a deadLetter part naming the exhausted one',
    marbles((m) => {
      const h = harness(m.scheduler);
      const deliveries = m.cold(' a|      ', { a: orderCreated() });
      const retrying = m.cold('   --#     ', {}, DB_DOWN);
      const exhausted = m.cold('  ---#    ', {}, SMTP_DOWN);
      const expected = '          ---(r|) ';
      h.registry.add('order.*', { handler: () => retrying, retry: THREE });
      h.registry.add('*.created', { handler: () => exhausted, retry: { attempts: 1, delaysMs: 1_000 } });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      expect(h.settlements[0]?.outcome).toStrictEqual({
        kind: 'retry',
        delayMs: 1_000,
        pending: ['order.*'],
        attempt: 1,
        reason: 'order.*: db down',
        failures: [{ pattern: 'order.*', error: DB_DOWN }],
        deadLetter: { attempt: 1, reason: '*.created: smtp down', failures: [{ pattern: '*.created', error: SMTP_DOWN }] },
      });
    }),
  );

  it(
    'retries - a failing handler without any retry policy goes to the deadLetter part while its sibling is retried',
    marbles((m) => {
      const h = harness(m.scheduler);
      const deliveries = m.cold(' a|    ', { a: afterAttempts(1) });
      const expected = '          --(r|)';
      h.registry.add('order.*', { handler: () => m.cold('--#', {}, DB_DOWN), retry: THREE });
      h.registry.add('*.created', { handler: () => m.cold('-#', {}, SMTP_DOWN) });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      const retry = outcomeOf(h.settlements[0], 'retry');
      expect(retry.failures.map((f) => f.pattern)).toEqual(['order.*']);
      expect(retry.deadLetter).toStrictEqual({ attempt: 2, reason: '*.created: smtp down', failures: [{ pattern: '*.created', error: SMTP_DOWN }] });
    }),
  );

  it(
    'retries - the delay is the longest of the retrying handlers, not of those that succeeded or ran out of attempts',
    marbles((m) => {
      const h = harness(m.scheduler);
      const deliveries = m.cold(' a|    ', { a: orderCreated() });
      const expected = '          --(r|)';
      // The longest is neither the first nor the last retrying handler's.
      h.registry.add('order.*', { handler: () => m.cold('-#', {}, DB_DOWN), retry: { attempts: 3, delaysMs: [1_000] } });
      h.registry.add('*.created', { handler: () => m.cold('--#', {}, SMTP_DOWN), retry: { attempts: 3, delaysMs: [4_000] } });
      h.registry.add('order.c*', { handler: () => m.cold('-#', {}, DB_DOWN), retry: { attempts: 3, delaysMs: [2_000] } });
      h.registry.add('order.created', { handler: () => m.cold('-|'), retry: { attempts: 3, delaysMs: [9_000] } });
      h.registry.add('order.cr*', { handler: () => m.cold('#'), retry: { attempts: 1, delaysMs: [60_000] } });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      const retry = outcomeOf(h.settlements[0], 'retry');
      expect(retry.delayMs).toBe(4_000);
      expect(retry.failures.map((f) => f.pattern)).toEqual(['order.*', '*.created', 'order.c*']);
      expect(retry.deadLetter?.failures.map((f) => f.pattern)).toEqual(['order.cr*']);
    }),
  );

  it(
    'retries - without any retry policy a failure is dead-lettered at once, as before retries existed',
    marbles((m) => {
      const h = harness(m.scheduler);
      const deliveries = m.cold(' a|    ', { a: orderCreated() });
      const expected = '          --(d|)';
      h.registry.add('order.*', { handler: () => m.cold('--#', {}, DB_DOWN) });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      expect(outcomeOf(h.settlements[0], 'dead-letter').attempt).toBe(1);
    }),
  );
});

describe('retries - bus and handler policies', () => {
  it(
    "retries - the bus's retry applies to a handler without its own",
    marbles((m) => {
      const h = harness(m.scheduler, { retry: { attempts: 2, delaysMs: 700 } });
      const deliveries = m.cold(' ab|    ', { a: orderCreated('e1'), b: afterAttempts(1, 'e2') });
      const expected = '          -r(d|) ';
      h.registry.add('order.*', { handler: () => m.cold('-#', {}, DB_DOWN) });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      expect(outcomeOf(h.settlements[0], 'retry')).toMatchObject({ attempt: 1, delayMs: 700 });
      expect(outcomeOf(h.settlements[1], 'dead-letter').attempt).toBe(2);
    }),
  );

  it(
    "retries - a handler's own retry overrides the bus's, both for fewer attempts and for other delays",
    marbles((m) => {
      const h = harness(m.scheduler, { retry: { attempts: 5, delaysMs: 700 } });
      const deliveries = m.cold(' ab|    ', { a: orderCreated('e1'), b: recordingDelivery('user.deleted', 'e2') });
      const expected = '          -r(d|) ';
      h.registry.add('order.*', { handler: () => m.cold('-#', {}, DB_DOWN), retry: { attempts: 3, delaysMs: [50] } });
      h.registry.add('user.*', { handler: () => m.cold('-#', {}, DB_DOWN), retry: { attempts: 1, delaysMs: [50] } });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      expect(outcomeOf(h.settlements[0], 'retry').delayMs).toBe(50);
      expect(outcomeOf(h.settlements[1], 'dead-letter').attempt).toBe(1);
    }),
  );
});

describe('retries - a retried delivery', () => {
  /** `order.created` as it comes back from the delay queue after attempt 1, with `pending` still to run. */
  function retried(pending: readonly string[]): RecordingDelivery {
    const failure: Failed = { attempt: 1, reason: 'order.*: db down', failures: [{ pattern: 'order.*', error: DB_DOWN }] };
    return comeBack(retryOf(orderCreated(), 'orders.retry.1000', failure, pending, 1_000));
  }

  it(
    'retries - runs only the pending handler, not the sibling that succeeded before, and is not observed again',
    marbles((m) => {
      const h = harness(m.scheduler);
      const d = retried(['order.*']);
      const deliveries = m.cold(' a|    ', { a: d });
      const work = m.cold('       --|   ');
      const expected = '          --(a|)';
      const pendingOne = counted(() => work);
      const sibling = counted(() => undefined);
      h.registry.add('order.*', { handler: pendingOne, retry: THREE });
      h.registry.add('*.created', { handler: sibling, retry: THREE });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.expect(work).toHaveSubscriptions('^-!');
      m.flush();

      expect(pendingOne.calls()).toBe(1);
      expect(sibling.calls()).toBe(0);
      expect(h.observed).toEqual([]);
      expect(h.settlements[0]?.outcome).toStrictEqual({ kind: 'ack', handlers: 1 });
      expect(h.settlements[0]?.event).toMatchObject({ id: 'e1', domain: 'order', action: 'created' });
      expect(d.settledWith).toEqual(['ack']);
    }),
  );

  it(
    'retries - failing again, it is retried with the next attempt and only the still-failing handler pending',
    marbles((m) => {
      const h = harness(m.scheduler);
      const deliveries = m.cold(' a|    ', { a: retried(['order.*', '*.created']) });
      const expected = '          --(r|)';
      h.registry.add('order.*', { handler: () => m.cold('--#', {}, DB_DOWN), retry: THREE });
      h.registry.add('*.created', { handler: () => m.cold('-|'), retry: THREE });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      const retry = outcomeOf(h.settlements[0], 'retry');
      expect(retry).toMatchObject({ attempt: 2, delayMs: 5_000 });
      expect(retry.failures.map((f) => f.pattern)).toEqual(['order.*']);
    }),
  );

  it(
    'retries - pending handlers that are gone by now leave nothing to run → unhandled (acked)',
    marbles((m) => {
      const h = harness(m.scheduler);
      const d = retried(['order.paid']);
      const deliveries = m.cold(' a|', { a: d });
      const expected = '          u|';
      const other = counted(() => undefined);
      h.registry.add('order.*', { handler: other });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      expect(other.calls()).toBe(0);
      expect(d.settledWith).toEqual(['ack']);
    }),
  );

  it(
    'retries - is routed by the rx-pubsub-routing-key header, not by its routing key (the queue name)',
    marbles((m) => {
      const h = harness(m.scheduler);
      const d = recordingDelivery('orders', 'e1', {
        publishedAs: 'order.created',
        headers: { [DeadLetterHeader.ROUTING_KEY]: 'order.created', [DeadLetterHeader.ATTEMPTS]: 1 },
      });
      const deliveries = m.cold(' a|', { a: d });
      const expected = '          a|';
      const byHeader = counted(() => undefined);
      const byQueueName = counted(() => undefined);
      h.registry.add('order.*', { handler: byHeader });
      h.registry.add('orders', { handler: byQueueName });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      expect(byHeader.calls()).toBe(1);
      expect(byQueueName.calls()).toBe(0);
      expect(h.settlements[0]?.outcome).toStrictEqual({ kind: 'ack', handlers: 1 });
    }),
  );
});

describe('retries - poison messages', () => {
  it(
    'retries - redelivered more than maxRedeliveries → dead-letter with POISON_MESSAGE, no handler called, not observed',
    marbles((m) => {
      const seen: unknown[] = [];
      const h = harness(m.scheduler, {
        maxRedeliveries: 2,
        redeliveries: (delivery) => (seen.push(delivery), 3),
      });
      const d = orderCreated();
      const deliveries = m.cold(' a|', { a: d });
      const expected = '          d|';
      const handler = counted(() => undefined);
      h.registry.add('order.*', { handler, retry: THREE });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      expect(handler.calls()).toBe(0);
      expect(h.observed).toEqual([]);
      expect(seen).toEqual([d]);
      const outcome = outcomeOf(h.settlements[0], 'dead-letter');
      expect(outcome.attempt).toBe(1);
      expect(outcome.reason).toBe('poison message: delivered 4 times without being settled (maxRedeliveries 2)');
      expect(outcome.failures).toHaveLength(1);
      expect(outcome.failures[0]?.pattern).toBe('');
      expect(outcome.failures[0]?.error).toBeInstanceOf(DeliveryError);
      expect(isRxPubsubError(outcome.failures[0]?.error, ErrorCode.POISON_MESSAGE)).toBe(true);
      expect(h.settlements[0]?.event).toMatchObject({ id: 'e1' });
      expect(d.settledWith).toEqual(['reject']);
    }),
  );

  it(
    'retries - exactly maxRedeliveries redeliveries still run the handlers',
    marbles((m) => {
      const h = harness(m.scheduler, { maxRedeliveries: 2, redeliveries: () => 2 });
      const deliveries = m.cold(' a|', { a: orderCreated() });
      const expected = '          a|';
      const handler = counted(() => undefined);
      h.registry.add('order.*', { handler });

      m.expect(h.run(deliveries)).toBeObservable(expected);
      m.flush();

      expect(handler.calls()).toBe(1);
    }),
  );

  it(
    'retries - maxRedeliveries 0 dead-letters the first redelivery',
    marbles((m) => {
      const h = harness(m.scheduler, { maxRedeliveries: 0, redeliveries: (d) => (d.redelivered ? 1 : 0) });
      const deliveries = m.cold(' ab|', { a: orderCreated('e1'), b: recordingDelivery('order.created', 'e2', { redelivered: true }) });
      const expected = '          ad|';
      h.registry.add('order.*', { handler: () => undefined });

      m.expect(h.run(deliveries)).toBeObservable(expected);
    }),
  );

  it(
    'retries - without maxRedeliveries, redeliveries are not limited',
    marbles((m) => {
      const h = harness(m.scheduler, { redeliveries: () => 1_000 });
      const deliveries = m.cold(' a|', { a: orderCreated() });
      h.registry.add('order.*', { handler: () => undefined });

      m.expect(h.run(deliveries)).toBeObservable('a|');
    }),
  );
});

/**
 * The whole loop with the real settleDelivery: a failure is published to the
 * delay queue, and that copy, delivered back, is processed again. settle is
 * a Promise (publish with confirm), so these run in real (short) time.
 */
describe('retries - round trip through the delay queue (real time)', () => {
  /** A broker stand-in that records every publish; delay queues are named like the AMQP transport names them. */
  function roundTrip(overrides: Partial<PipelineConfig> = {}) {
    const published: OutboundMessage[] = [];
    const transport: Pick<Transport, 'publish'> = {
      publish: async (message) => {
        published.push(message);
      },
    };
    const consumer: Pick<QueueConsumer, 'retryQueue'> = { retryQueue: async (delayMs) => `orders.retry.${delayMs}` };
    const settle = settleDelivery({
      transport: transport as Transport,
      consumer: consumer as QueueConsumer,
      deadLetterQueue: 'orders.dlq',
      publishTimeoutMs: 1_000,
      logger: silentLogger,
    });
    const h = harness(undefined, { handlerTimeoutMs: 1_000, settle, ...overrides });
    return {
      ...h,
      published,
      /** Letters of processing one delivery. */
      deliver: (delivery: RecordingDelivery) => lastValueFrom(h.run(of(delivery)).pipe(toArray())),
    };
  }

  const failOnce = () => counted((call) => {
    if (call === 1) throw DB_DOWN;
  });

  it('retries - a failed handler is retried from the delay queue, alone, and then acked', async () => {
    const bus = roundTrip();
    const flaky = failOnce();
    const sibling = counted(() => undefined);
    bus.registry.add('order.*', { handler: flaky, retry: THREE });
    bus.registry.add('*.created', { handler: sibling });

    expect(await bus.deliver(orderCreated())).toEqual(['r']);
    expect(bus.published.map((p) => p.routingKey)).toEqual(['orders.retry.1000']);
    expect(await bus.deliver(comeBack(bus.published[0]!))).toEqual(['a']);

    expect(flaky.calls()).toBe(2);
    expect(sibling.calls()).toBe(1);
    expect(bus.observed).toHaveLength(1);
  });

  it('retries - after the last attempt the copy goes to Q.dlq with the whole history', async () => {
    const bus = roundTrip();
    bus.registry.add('order.*', { handler: () => Promise.reject(DB_DOWN), retry: { attempts: 3, delaysMs: [100, 200] } });

    expect(await bus.deliver(orderCreated())).toEqual(['r']);
    expect(await bus.deliver(comeBack(bus.published[0]!))).toEqual(['r']);
    expect(await bus.deliver(comeBack(bus.published[1]!))).toEqual(['d']);

    expect(bus.published.map((p) => p.routingKey)).toEqual(['orders.retry.100', 'orders.retry.200', 'orders.dlq']);
    expect(bus.published[2]?.properties.headers).toMatchObject({
      [DeadLetterHeader.ATTEMPTS]: 3,
      [DeadLetterHeader.ROUTING_KEY]: 'order.created',
      [DeadLetterHeader.HISTORY]: '1: order.*: db down\n2: order.*: db down\n3: order.*: db down',
    });
  });

  it('retries - a handler on a brace pattern with a comma is retried', async () => {
    const bus = roundTrip();
    const flaky = failOnce();
    bus.registry.add('order.{created,paid}', { handler: flaky, retry: THREE });

    expect(await bus.deliver(orderCreated())).toEqual(['r']);
    expect(await bus.deliver(comeBack(bus.published[0]!))).toEqual(['a']);
    expect(flaky.calls()).toBe(2);
  });

  it('retries - a sibling on the same pattern that succeeded is not run again', async () => {
    const bus = roundTrip();
    const flaky = failOnce();
    const sibling = counted(() => undefined);
    bus.registry.add('order.*', { handler: flaky, retry: THREE });
    bus.registry.add('order.*', { handler: sibling, retry: THREE });

    expect(await bus.deliver(orderCreated())).toEqual(['r']);
    expect(await bus.deliver(comeBack(bus.published[0]!))).toEqual(['a']);
    expect(flaky.calls()).toBe(2);
    expect(sibling.calls()).toBe(1);
  });
});
