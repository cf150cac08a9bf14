import { randomBytes } from 'node:crypto';
import { EventBus } from '../bus/event-bus.js';
import type { EventBusSettings } from '../bus/options.js';
import { ConfigError, ErrorCode } from '../errors.js';
import type { AnyEventDefinition } from '../event/define-event.js';
import type { Event } from '../event/event.js';
import { redactUrl } from '../redact-url.js';
import { MemoryBroker } from '../transport/memory/memory-broker.js';
import { memoryBrokerName } from '../transport/memory/memory-broker-name.js';
import type { CatalogEvent } from '../typing/catalog-event.js';

/** The broker of each bus made by {@link testBus}. */
const brokers = new WeakMap<object, MemoryBroker>();

/**
 * A `memory://` URL no other bus uses yet: `memory://test-<prefix>-<12 hex>`.
 * Connect several buses to it to test competing consumers or pub/sub.
 */
export function memoryUrl(prefix = 'bus'): string {
  return `memory://test-${prefix}-${randomBytes(6).toString('hex')}`;
}

/** Options of {@link testBus}: the bus's, with a `url` that may only be `memory://`. */
export type TestBusOptions<TEvents extends readonly AnyEventDefinition[]> = EventBusSettings<TEvents> & {
  /** @default a fresh {@link memoryUrl} */
  readonly url?: string;
};

/**
 * `EventBus.connect` on an in-memory broker of its own (a fresh
 * {@link memoryUrl} unless `url` names one). With `scheduler`, the broker
 * runs on it too: deliveries, TTLs and retry delays, reconnects, held
 * publishes' timeouts and handler timeouts all move in that scheduler's
 * (virtual) time. {@link memoryBroker}`(bus)` gives the broker, for inspection
 * and faults. Close the bus when the test is done.
 *
 * @example
 * // From README.md, "Testing your handlers" (compiled and run by the tests):
 * const bus = await testBus({ queue: 'billing' }); // on a memory:// broker of its own
 * bus.handle('order.paid', charge);
 * await bus.ready();
 * const settled = firstValueFrom(bus.settlements$);
 * await bus.publish(large);
 * await settled;
 * expect(memoryBroker(bus).peek('billing.dlq')[0]?.properties.headers?.[RxPubsubHeader.ERROR]).toBe('order.paid: over the limit');
 *
 * @throws {ConfigError} `INVALID_OPTIONS` for a URL that is not `memory://NAME`, and whatever `EventBus.connect` throws.
 */
export async function testBus<const TEvents extends readonly AnyEventDefinition[] = []>(
  options: TestBusOptions<TEvents> = {},
): Promise<EventBus<CatalogEvent<TEvents>>> {
  const url = options.url ?? memoryUrl();
  const broker = brokerOf(url, 'testBus option url', ErrorCode.INVALID_OPTIONS);
  if (options.scheduler !== undefined) broker.setScheduler(options.scheduler);
  const bus = await EventBus.connect<TEvents>({ ...options, url });
  brokers.set(bus, broker);
  return bus;
}

/**
 * The in-memory broker behind a bus made by {@link testBus}, or behind a
 * `memory://NAME` URL (created on first use, shared by every bus of the
 * process with that URL): its queues, messages, bindings and consumers, and
 * its faults (`dropConnections`, `refuseNextPublish`, `cancelConsumers`,
 * `block`/`unblock`, `delayDeliveries`).
 *
 * @example
 * const broker = memoryBroker(bus);
 * broker.queueDepth('billing'); // messages ready
 * broker.refuseNextPublish(); // a fault: the broker nacks the next publish
 *
 * @throws {ConfigError} `INVALID_ARGUMENT` for a bus not made by `testBus` (pass its `memory://`
 *   URL instead) or a URL that is not `memory://NAME`.
 */
export function memoryBroker<E extends Event<unknown>>(busOrUrl: EventBus<E> | string): MemoryBroker {
  if (typeof busOrUrl === 'string') return brokerOf(busOrUrl, 'memoryBroker(url)', ErrorCode.INVALID_ARGUMENT);
  const broker = brokers.get(busOrUrl);
  if (broker === undefined) {
    throw new ConfigError(
      ErrorCode.INVALID_ARGUMENT,
      'memoryBroker(bus): this bus was not made by testBus(); pass the memory:// URL it was connected with instead',
    );
  }
  return broker;
}

function brokerOf(url: string, where: string, code: typeof ErrorCode.INVALID_OPTIONS | typeof ErrorCode.INVALID_ARGUMENT): MemoryBroker {
  const name = memoryBrokerName(url);
  if (name === undefined)
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- a JavaScript caller may pass a non-string url
    throw new ConfigError(code, `${where} must be a memory://NAME URL, e.g. memory://orders-test (got ${redactUrl(String(url))})`);
  return MemoryBroker.named(name);
}
