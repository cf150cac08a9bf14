import { firstValueFrom, isObservable, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isRxPubsubError } from '../../src/errors.js';
import type { Handler } from '../../src/core/handler.js';
import type { HandlerFailure } from '../../src/core/outcome.js';
import { HandlerRun } from '../../src/core/handler-run.js';
import { runHandler, startHandler } from '../../src/core/run-handler.js';
import { createEvent } from '../../src/event/event.js';
import { HOSTILE, revokedProxy, throwingGetter } from '../support/hostile-values.js';

const EVENT = createEvent({ domain: 'order', action: 'created', data: {} });
const PATTERN = 'order.*';

/** The outcome of one run of `handler`, waiting for it when it is asynchronous. */
async function outcomeOf(handler: unknown): Promise<HandlerFailure | null> {
  return firstValueFrom(runHandler(handler as Handler, PATTERN, EVENT, 1_000));
}

/** A handler failure whose error can be read as an Error: a string message, name and stack. */
function expectReadableFailure(outcome: HandlerFailure | null): void {
  expect(outcome).not.toBeNull();
  const error = outcome?.error as Error;
  expect(error).toBeInstanceOf(Error);
  expect(typeof error.message).toBe('string');
  expect(typeof error.name).toBe('string');
  expect(outcome?.pattern).toBe(PATTERN);
}

describe('runHandler', () => {
  it.each(HOSTILE)('runHandler - a handler throwing %s fails with a readable error, synchronously', (_name, make) => {
    const started = startHandler(() => { throw make(); }, new HandlerRun(PATTERN, EVENT, 1, undefined, undefined), 1_000);
    expect(isObservable(started)).toBe(false);
    expectReadableFailure(started as HandlerFailure | null);
  });

  it.each(HOSTILE)('runHandler - a handler rejecting with %s fails with a readable error', async (_name, make) => {
    expectReadableFailure(await outcomeOf(() => Promise.reject(make())));
  });

  it.each(HOSTILE)('runHandler - a handler whose Observable errors with %s fails with a readable error', async (_name, make) => {
    expectReadableFailure(await outcomeOf(() => throwError(() => make())));
  });

  it('runHandler - a failure that is not a readable Error is HANDLER_FAILED, keeping the value as cause', async () => {
    const thrown = revokedProxy();
    const outcome = await outcomeOf(() => Promise.reject(thrown));
    expect(isRxPubsubError(outcome?.error, ErrorCode.HANDLER_FAILED)).toBe(true);
    expect((outcome?.error as Error).cause).toBe(thrown);
  });

  it('runHandler - an object handler whose handle getter throws fails', async () => {
    expectReadableFailure(await outcomeOf(throwingGetter('handle')));
  });

  it('runHandler - a handler returning a revoked Proxy fails instead of crashing', async () => {
    expectReadableFailure(await outcomeOf(() => revokedProxy()));
  });

  it.each(['then', 'subscribe'])('runHandler - a handler returning a value whose %s getter throws fails', async (key) => {
    expectReadableFailure(await outcomeOf(() => throwingGetter(key)));
  });

  it('runHandler - a thenable rejecting with a hostile value, then resolving, fails once', async () => {
    const thenable = { then: (_ok: () => void, fail: (error: unknown) => void) => { fail(revokedProxy()); _ok(); } };
    expectReadableFailure(await outcomeOf(() => thenable));
  });
});
