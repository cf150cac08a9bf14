/**
 * A transport of the application's own that misbehaves in one way: a
 * memory:// transport (on a broker of its own, reset after the test) with its
 * `publish` or its consumers' `deliveries$` replaced, and everything else
 * passed through.
 */
import type { Observable } from 'rxjs';
import { silentLogger } from '../../src/logger.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { MemoryTransport } from '../../src/transport/memory/memory-transport.js';
import type { Delivery, OutboundMessage, QueueConsumer, Transport } from '../../src/transport/transport.js';
import { teardown, uniqueName } from './broker.js';

export interface TransportChange {
  /** Replaces publish; `inner` is the memory transport's own. */
  readonly publish?: (message: OutboundMessage, inner: (message: OutboundMessage) => Promise<void>) => Promise<void>;
  /** Replaces each consumer's deliveries$; `inner` is its own. */
  readonly deliveries$?: (inner: Observable<Delivery>) => Observable<Delivery>;
}

/** The wrapped transport, and the name of its memory broker (for inspection). */
export function wrappedMemoryTransport(prefix: string, change: TransportChange): { readonly transport: Transport; readonly brokerName: string } {
  const brokerName = uniqueName(prefix);
  teardown(() => void MemoryBroker.reset(brokerName));
  const inner = new MemoryTransport({ url: `memory://${brokerName}`, logger: silentLogger });
  const publish = (message: OutboundMessage): Promise<void> => inner.publish(message);
  const transport: Transport = {
    get state$() {
      return inner.state$;
    },
    encode: (event) => inner.encode(event),
    connect: (exchange) => inner.connect(exchange),
    publish: change.publish ? (message) => change.publish!(message, publish) : publish,
    close: (timeoutMs) => inner.close(timeoutMs),
    consumer: (spec) => {
      const consumer = inner.consumer(spec);
      return {
        deliveries$: change.deliveries$ ? change.deliveries$(consumer.deliveries$) : consumer.deliveries$,
        get status$() {
          return consumer.status$;
        },
        bind: (key) => consumer.bind(key),
        unbind: (key) => consumer.unbind(key),
        ready: () => consumer.ready(),
        retryQueue: (ms) => consumer.retryQueue(ms),
        redeclare: () => consumer.redeclare(),
      } satisfies QueueConsumer;
    },
  };
  return { transport, brokerName };
}
