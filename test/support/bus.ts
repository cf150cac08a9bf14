/**
 * Helpers shared by the broker tests: a bus that is closed (and whose queues
 * and exchange are deleted) when the test finishes, settlement collectors, and
 * a `BrokerView` that reads and writes queues behind the bus's back, with raw
 * amqplib on RabbitMQ and through `MemoryBroker` on `memory://`.
 */
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { expect } from 'vitest';
import {
  createEvent,
  type Event,
  EventBus,
  type EventBusOptions,
  isRxPubsubError,
  type MessageProperties,
  RxPubsubError,
  type Settlement,
} from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { amqpUrl, deleteExchange, deleteQueues, rawChannel, rawConnection, teardown, uniqueName, waitFor } from './broker.js';

export { amqpUrl, deleteExchange, deleteQueues, rawChannel, rawConnection, teardown, uniqueName, waitFor };

/** The two transports of a parity test. */
export type TransportKind = 'amqp' | 'memory';

/**
 * The transports every parity test runs on, defined once: `describe.each(TRANSPORTS)('... (%s)', (kind, makeUrl) => ...)`.
 * `FAULT_TRANSPORTS` (fault-injector.ts) maps these kinds to fault injectors.
 */
export const TRANSPORTS: [kind: TransportKind, makeUrl: () => string][] = [
  ['amqp', () => amqpUrl()],
  ['memory', () => `memory://${uniqueName('m')}`],
];

/** Bounds for every bus a test opens, so that no failure waits for the 30 s defaults. */
const TEST_DEFAULTS = { handlerTimeoutMs: 5_000, publishTimeoutMs: 5_000, connectTimeoutMs: 5_000 } as const;

/** A fresh exchange and queue name; deleted on the broker when the test finishes. */
export function names(prefix = 'q'): { exchange: string; queue: string } {
  return { exchange: uniqueName(`${prefix}-x`), queue: uniqueName(prefix) };
}

/**
 * `EventBus.connect` with test bounds; the bus is closed when the test
 * finishes, then its queue, `queue.dlq` and exchange are deleted (RabbitMQ)
 * or its memory broker forgotten.
 */
export async function connectBus(options: EventBusOptions & { url: string | readonly string[] }): Promise<EventBus> {
  const urls = typeof options.url === 'string' ? [options.url] : options.url;
  registerCleanup(urls.find((url) => !url.startsWith('memory://')) ?? urls[0] ?? '', options.exchange, options.queue);
  const bus = await EventBus.connect({ ...TEST_DEFAULTS, ...options });
  teardown(() => bus.close());
  return bus;
}

/** Deletes the test's topology when it finishes (registered before the bus, so it runs after its close). */
export function registerCleanup(url: string, exchange?: string, queue?: string): void {
  if (url.startsWith('memory://')) {
    const name = new URL(url).host;
    teardown(() => void MemoryBroker.reset(name));
    return;
  }
  teardown(async () => {
    if (queue !== undefined) await deleteQueues(queue, `${queue}.dlq`);
    if (exchange !== undefined) await deleteExchange(exchange);
  });
}

/** Every settlement of `bus` from now on. */
export function collectSettlements(bus: EventBus): Settlement[] {
  const settlements: Settlement[] = [];
  const subscription = bus.settlements$.subscribe((s) => settlements.push(s));
  teardown(() => subscription.unsubscribe());
  return settlements;
}

/** Waits until `list` has at least `count` items. */
export function waitForCount(list: readonly unknown[], count: number, what: string, timeoutMs = 10_000): Promise<void> {
  return waitFor(() => list.length >= count, { timeoutMs, description: `${count} ${what} (have ${list.length})` });
}

/** An `order.<action>` event with a small payload. */
export function orderEvent(action = 'created', data: Record<string, string | number> = { order_id: 'A1' }): Event {
  return createEvent({ domain: 'order', action, data });
}

/** A message as a queue holds it, the same shape on both transports. */
export interface QueuedMessage {
  readonly routingKey: string;
  readonly body: Buffer;
  readonly properties: MessageProperties & { readonly headers?: Readonly<Record<string, unknown>> };
}

/**
 * The broker as a test sees it, behind the bus's back: raw amqplib on
 * RabbitMQ, `MemoryBroker.named(...)` on memory.
 */
export interface BrokerView {
  readonly kind: TransportKind;
  /** Messages ready in the queue (not the unacked ones). */
  depth(queue: string): Promise<number>;
  /** Takes every ready message out of the queue (AMQP) or copies them (memory), head first. */
  take(queue: string): Promise<QueuedMessage[]>;
  /** Declares a plain durable queue bound to `exchange` with `key`, with no consumer. */
  declareBoundQueue(exchange: string, queue: string, key: string): Promise<void>;
  /** Publishes as a foreign client would, bypassing rx-pubsub. */
  publish(exchange: string, routingKey: string, body: Buffer, properties: MessageProperties): Promise<void>;
  /** Deletes a queue behind the bus's back. */
  deleteQueue(queue: string): Promise<void>;
}

/** A {@link BrokerView} of the broker behind `url`; its resources close when the test finishes. */
export async function brokerView(url: string): Promise<BrokerView> {
  if (url.startsWith('memory://')) return memoryView(MemoryBroker.named(new URL(url).host));
  return amqpView(await rawConnection());
}

function memoryView(broker: MemoryBroker): BrokerView {
  return {
    kind: 'memory',
    depth: async (queue) => broker.queueDepth(queue),
    take: async (queue) => broker.peek(queue),
    declareBoundQueue: async (exchange, queue, key) => {
      broker.declareExchange(exchange);
      broker.declareQueue(queue, { durable: true, exclusive: false, autoDelete: false, arguments: {} });
      broker.bind(exchange, queue, key);
    },
    publish: async (exchange, routingKey, body, properties) => {
      const outcome = broker.publish(exchange, routingKey, body, properties);
      if (outcome === 'no-exchange') throw new Error(`memory publish: no exchange ${exchange}`);
    },
    deleteQueue: async (queue) => void broker.deleteQueue(queue),
  };
}

function amqpView(connection: ChannelModel): BrokerView {
  // A channel error (404 on a missing queue) closes a channel: open a fresh one for the next call.
  let channel: Promise<ConfirmChannel> | undefined;
  const open = (): Promise<ConfirmChannel> => {
    channel ??= connection.createConfirmChannel().then((opened) => {
      opened.on('error', () => {});
      opened.on('close', () => {
        channel = undefined;
      });
      return opened;
    });
    return channel;
  };
  return {
    kind: 'amqp',
    depth: async (queue) => (await (await open()).checkQueue(queue)).messageCount,
    take: async (queue) => {
      const taken: QueuedMessage[] = [];
      const ch = await open();
      for (;;) {
        const message = await ch.get(queue, { noAck: true });
        if (message === false) return taken;
        taken.push({ routingKey: message.fields.routingKey, body: message.content, properties: message.properties as QueuedMessage['properties'] });
      }
    },
    declareBoundQueue: async (exchange, queue, key) => {
      teardown(() => deleteQueues(queue));
      const ch = await open();
      await ch.assertQueue(queue, { durable: true });
      await ch.bindQueue(queue, exchange, key);
    },
    publish: async (exchange, routingKey, body, properties) => {
      const ch = await open();
      await new Promise<void>((resolve, reject) => {
        ch.publish(exchange, routingKey, body, properties as Options.Publish, (error) => (error ? reject(error) : resolve()));
      });
    },
    deleteQueue: async (queue) => void (await (await open()).deleteQueue(queue)),
  };
}

/** Waits until `queue` holds `count` ready messages. */
export function waitForDepth(view: BrokerView, queue: string, count: number, timeoutMs = 10_000): Promise<void> {
  return waitFor(async () => (await view.depth(queue)) === count, { timeoutMs, description: `${queue} to hold ${count} messages` });
}

/**
 * Awaits `action` and asserts it failed with an rx-pubsub error of `ErrorClass` and `code`.
 * Returns the error for further checks.
 */
export async function expectRxError<E extends RxPubsubError>(
  action: Promise<unknown> | (() => unknown),
  ErrorClass: abstract new (...args: never[]) => E,
  code: string,
): Promise<E> {
  let caught: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a ${ErrorClass.name} ${code}`).toBeInstanceOf(ErrorClass);
  expect(caught).toBeInstanceOf(RxPubsubError);
  expect((caught as RxPubsubError).code).toBe(code);
  expect(isRxPubsubError(caught, code as RxPubsubError['code'])).toBe(true);
  return caught as E;
}

/** A promise that can be resolved from outside, for handlers the test releases. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
