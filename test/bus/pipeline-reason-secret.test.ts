/**
 * When the delivery pipeline stops, state$ says degraded with `PIPELINE_STOPPED: <reason>`, the error's message
 * as is: the log line of the same reason is redacted by the guarded logger, the state$ reason was not. An error
 * quoting a connection string (a user-supplied transport's, a database driver's in a bug) showed its password.
 */
import { firstValueFrom, filter, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { MemoryTransport } from '../../src/blocks.js';
import { EventBus, silentLogger, type QueueConsumer, type Transport } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { teardown, uniqueName } from '../support/broker.js';

function failingTransport(message: string): Transport {
  const name = uniqueName('rv-reason');
  teardown(() => void MemoryBroker.reset(name));
  const inner = new MemoryTransport({ url: `memory://${name}`, logger: silentLogger });
  return {
    get state$() { return inner.state$; },
    encode: (event) => inner.encode(event),
    connect: (exchange) => inner.connect(exchange),
    publish: (m) => inner.publish(m),
    close: (timeoutMs) => inner.close(timeoutMs),
    consumer: (spec) => {
      const consumer = inner.consumer(spec);
      return {
        deliveries$: throwError(() => new Error(message)),
        get status$() { return consumer.status$; },
        bind: (key) => consumer.bind(key),
        unbind: (key) => consumer.unbind(key),
        ready: () => consumer.ready(),
        retryQueue: (ms) => consumer.retryQueue(ms),
        redeclare: () => consumer.redeclare(),
      } satisfies QueueConsumer;
    },
  };
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
