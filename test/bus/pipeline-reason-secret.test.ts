/**
 * When the delivery pipeline stops, state$ says degraded with `PIPELINE_STOPPED: <reason>`, the error's message
 * as is: the log line of the same reason is redacted by the guarded logger, the state$ reason was not. An error
 * quoting a connection string (a user-supplied transport's, a database driver's in a bug) showed its password.
 */
import { firstValueFrom, filter, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EventBus, silentLogger, type Transport } from '../../src/index.js';
import { teardown } from '../support/broker.js';
import { wrappedMemoryTransport } from '../support/wrapped-transport.js';

function failingTransport(message: string): Transport {
  return wrappedMemoryTransport('rv-reason', { deliveries$: () => throwError(() => new Error(message)) }).transport;
}

describe('review - a stopped pipeline on state$', () => {
  it('state$ - the PIPELINE_STOPPED reason never shows a password', async () => {
    const bus = await EventBus.connect({ transport: failingTransport('lost postgres://app:s3cr3tPW@db:5432/orders'), queue: 'q', logger: silentLogger });
    teardown(() => bus.close());
    bus.handle('order.*', () => undefined);
    const degraded = await firstValueFrom(bus.state$.pipe(filter((s) => s.status === 'degraded')));
    expect(JSON.stringify(degraded)).toMatch(/PIPELINE_STOPPED/);
    expect(JSON.stringify(degraded)).not.toMatch(/s3cr3tPW/);
  });
});
