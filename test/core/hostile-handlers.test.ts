/**
 * Handlers that throw, reject or return hostile values, through the whole
 * pipeline in virtual time: each is its own handler's failure (the delivery
 * dead-lettered under its pattern, its siblings still run), never a "bad
 * message" and never an error of the stream.
 */
import { of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isRxPubsubError } from '../../src/errors.js';
import { HOSTILE, revokedProxy, throwingGetter } from '../support/hostile-values.js';
import { harness, marbles, outcomeOf, recordingDelivery } from '../support/marbles.js';

describe('hostile handlers', () => {
  const cases: [name: string, handler: () => unknown][] = [
    ...HOSTILE.map(([name, make]): [string, () => unknown] => [`throwing ${name}`, () => { throw make(); }]),
    ['returning a revoked Proxy', () => revokedProxy()],
    ['returning a value whose then getter throws', () => throwingGetter('then')],
    ['returning a value whose subscribe getter throws', () => throwingGetter('subscribe')],
  ];

  it.each(cases)('hostile handlers - a handler %s fails under its own pattern; its sibling still runs', (_name, handler) => {
    marbles((m) => {
      const h = harness(m.scheduler);
      let siblingRan = false;
      h.registry.add('order.*', { handler: handler as never });
      h.registry.add('*.created', { handler: () => void (siblingRan = true) });

      m.expect(h.run(m.cold('a|', { a: recordingDelivery('order.created', 'e1') }))).toBeObservable('d|');
      m.flush();

      const outcome = outcomeOf(h.settlements[0], 'dead-letter');
      expect(outcome.failures.map((f) => f.pattern)).toEqual(['order.*']);
      const error = outcome.failures[0]?.error as Error;
      expect(typeof error.message).toBe('string');
      expect(outcome.reason.startsWith('order.*: ')).toBe(true);
      expect(siblingRan).toBe(true);
    })();
  });

  it(
    'hostile handlers - an object handler whose handle getter throws is HANDLER-failed, not a bad message',
    marbles((m) => {
      const h = harness(m.scheduler);
      h.registry.add('order.*', { handler: throwingGetter('handle') as never });
      m.expect(h.run(m.cold('a|', { a: recordingDelivery('order.created', 'e1') }))).toBeObservable('d|');
      m.flush();
      expect(outcomeOf(h.settlements[0], 'dead-letter').failures[0]?.pattern).toBe('order.*');
    }),
  );

  it(
    'hostile handlers - an Observable erroring with a revoked Proxy is HANDLER_FAILED with the proxy as cause',
    marbles((m) => {
      const h = harness(m.scheduler);
      const thrown = revokedProxy();
      h.registry.add('order.*', { handler: () => m.cold('--#', undefined, thrown) });
      m.expect(h.run(of(recordingDelivery('order.created', 'e1')))).toBeObservable('--(d|)');
      m.flush();
      const error = outcomeOf(h.settlements[0], 'dead-letter').failures[0]?.error;
      expect(isRxPubsubError(error, ErrorCode.HANDLER_FAILED)).toBe(true);
      expect((error as Error).cause).toBe(thrown);
    }),
  );
});
