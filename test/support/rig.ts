/**
 * Helpers of the reliability tests, on top of the broker tests' helpers
 * (`bus.ts`, `broker.ts`): a `Rig` that plays the
 * faults of one bus the same way on RabbitMQ (through a TCP proxy, so only
 * that bus is disturbed) and on `memory://` (through the memory broker's fault
 * injection), queue counters as the broker sees them, a recording logger, and
 * a raw consumer that requeues a message to make redeliveries.
 */
import type { ConsumeMessage } from 'amqplib';
import { VirtualTimeScheduler } from 'rxjs';
import type { ConnectionState, EventBus, Logger, LogFields } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import { amqpUrl, deleteQueues, rawChannel, teardown, uniqueName, waitFor } from './bus.js';

// What the reliability tests take from the broker tests' helpers, so that each imports from here alone.
export { brokerView, collectSettlements, connectBus, expectRxError, gate, names, orderEvent, teardown, TRANSPORTS, waitFor, waitForCount, waitForDepth } from './bus.js';
import { tcpProxy } from './tcp-proxy.js';
import { rabbitmqctl } from './broker.js';

import type { TransportKind } from './bus.js';

export type { TransportKind } from './bus.js';

/**
 * One broker as a reliability test drives it; every fault hits only the buses connected through `url`.
 * Not a `FaultInjector` (fault-injector.ts): a Rig disturbs one bus's connections (a TCP proxy per
 * test) and reads unacked counts; a FaultInjector plays the broker-wide faults of rx-pubsub/testing.
 */
export interface Rig {
  readonly kind: TransportKind;
  /** Where the bus under test connects: through the proxy on AMQP. */
  readonly url: string;
  /** The same broker, bypassing the proxy: for inspection and for buses the faults must not touch. */
  readonly directUrl: string;
  /** Drops the connections of the buses on `url` at once; they reconnect by themselves. */
  cut(): void;
  /** Makes the broker unreachable for the buses on `url` (their connections drop and cannot come back)... */
  goOffline(): void;
  /** ...until this. */
  goOnline(): void;
  /** Messages of `queue` delivered to a consumer and not yet settled, as the broker counts them. */
  unacked(queue: string): Promise<number>;
  /** The `x-` arguments `queue` was declared with, or undefined when it does not exist. */
  queueArguments(queue: string): Promise<Record<string, unknown> | undefined>;
  /** Takes a queue's message out `times` times and hands it back with requeue; returns its last `x-delivery-count`. */
  requeue(queue: string, times: number): Promise<unknown>;
  /** Binds `queue` to `exchange` behind the bus's back (the bus binds only when a handler is added, and then consumes). */
  bind(exchange: string, queue: string, key: string): Promise<void>;
}

/** A rig on a fresh broker of `kind` (a fresh proxy to RabbitMQ, or a fresh memory broker); closed when the test ends. */
export async function rig(kind: TransportKind): Promise<Rig> {
  return kind === 'amqp' ? amqpRig() : memoryRig(`memory://${uniqueName('rel')}`);
}

async function amqpRig(): Promise<Rig> {
  const proxy = await tcpProxy(amqpUrl());
  return {
    kind: 'amqp',
    url: proxy.url,
    directUrl: amqpUrl(),
    cut: () => proxy.cut(),
    goOffline: () => {
      proxy.refuse(true);
      proxy.cut();
    },
    goOnline: () => proxy.refuse(false),
    unacked: async (queue) => (await rabbitQueue(queue))?.unacked ?? 0,
    queueArguments: async (queue) => (await rabbitQueue(queue))?.arguments,
    requeue: async (queue, times) => {
      const channel = await rawChannel();
      await channel.prefetch(1);
      let seen = 0;
      let lastCount: unknown;
      let consumerTag = '';
      const done = new Promise<void>((resolve, reject) => {
        const onMessage = async (message: ConsumeMessage | null): Promise<void> => {
          if (message === null) return reject(new Error(`the broker cancelled the raw consumer of ${queue}`));
          seen++;
          lastCount = message.properties.headers?.['x-delivery-count'];
          // Cancel before the last requeue, so that the message goes back to the queue and not to us again.
          if (seen === times) await channel.cancel(consumerTag);
          channel.nack(message, false, true);
          if (seen === times) resolve();
        };
        channel
          .consume(queue, (message) => void onMessage(message).catch(reject))
          .then((reply) => void (consumerTag = reply.consumerTag), reject);
      });
      await done;
      return lastCount;
    },
    bind: async (exchange, queue, key) => {
      await (await rawChannel()).bindQueue(queue, exchange, key);
    },
  };
}

function memoryRig(url: string): Rig {
  const broker = (): MemoryBroker => MemoryBroker.named(new URL(url).host);
  // While offline the broker's clock is a virtual one nobody advances: the reconnect scheduled by the drop waits on it.
  let offline: VirtualTimeScheduler | undefined;
  const goOnline = (): void => {
    const held = offline;
    offline = undefined;
    broker().setScheduler(undefined);
    held?.flush(); // the reconnect (and anything else due at once) runs now, on the way back
  };
  return {
    kind: 'memory',
    url,
    directUrl: url,
    cut: () => void broker().dropConnections(),
    goOffline: () => {
      offline = new VirtualTimeScheduler(undefined, 100);
      broker().setScheduler(offline);
      broker().dropConnections();
      // Before the buses close (teardowns run last first): held publishes must be able to drain.
      teardown(() => offline !== undefined && goOnline());
    },
    goOnline,
    unacked: async (queue) => broker().unackedCount(queue),
    queueArguments: async (queue) => {
      const declaration = broker().queueDeclaration(queue);
      return declaration && { ...declaration.arguments };
    },
    requeue: async (queue, times) => {
      const connection = broker().connect();
      let seen = 0;
      let lastCount: unknown;
      await new Promise<void>((resolve, reject) => {
        const consumer = broker().consume(queue, connection, 1, {
          deliver: (delivery) => {
            seen++;
            lastCount = delivery.properties.headers?.['x-delivery-count'];
            if (seen === times) consumer.cancel();
            delivery.nack(true);
            if (seen === times) resolve();
          },
          cancelled: (reason) => reject(new Error(`the memory broker cancelled the raw consumer of ${queue}: ${reason}`)),
        });
      });
      broker().disconnect(connection);
      return lastCount;
    },
    bind: async (exchange, queue, key) => broker().bind(exchange, queue, key),
  };
}

/** A queue as `rabbitmqctl list_queues` sees it. */
export interface RabbitQueue {
  readonly ready: number;
  readonly unacked: number;
  readonly arguments: Record<string, unknown>;
}

/** One queue's counters and arguments from `rabbitmqctl list_queues` (about a second per call), or undefined. */
export async function rabbitQueue(name: string): Promise<RabbitQueue | undefined> {
  const stdout = await rabbitmqctl('list_queues', 'name', 'messages_ready', 'messages_unacknowledged', 'arguments', '--formatter', 'json', '--quiet');
  const rows = JSON.parse(stdout) as { name: string; messages_ready: number; messages_unacknowledged: number; arguments: [string, string, unknown][] }[];
  const row = rows.find((r) => r.name === name);
  if (row === undefined) return undefined;
  return {
    ready: Number(row.messages_ready),
    unacked: Number(row.messages_unacknowledged),
    arguments: Object.fromEntries(row.arguments.map(([key, , value]) => [key, value])),
  };
}

/** Deletes the retry queues `Q.retry.<ms>` of `queue` when the test ends (RabbitMQ; a memory broker is forgotten whole). */
export function cleanupRetryQueues(url: string, queue: string, delaysMs: readonly number[]): void {
  if (url.startsWith('memory://')) return;
  teardown(() => deleteQueues(...delaysMs.map((ms) => `${queue}.retry.${ms}`)));
}

/** One line a {@link RecordingLogger} received. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields;
}

/** A logger that keeps every line (its children's too), for tests that watch what the bus reports. */
export interface RecordingLogger extends Logger {
  readonly lines: LogLine[];
}

export function recordingLogger(): RecordingLogger {
  const lines: LogLine[] = [];
  const make = (bindings: LogFields): Logger => {
    const write = (level: LogLine['level']) => (fields: LogFields, message: string) => void lines.push({ level, message, fields: { ...bindings, ...fields } });
    return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), child: (more) => make({ ...bindings, ...more }) };
  };
  return Object.assign(make({}), { lines });
}

/** Every status `bus.state$` emits from now on (the current one first). */
export function statesOf(bus: EventBus): ConnectionState['status'][] {
  const states: ConnectionState['status'][] = [];
  const subscription = bus.state$.subscribe((state) => states.push(state.status));
  teardown(() => subscription.unsubscribe());
  return states;
}

/** Waits until the bus went down and came back (`disconnected` seen after `from`, and `connected` last). */
export function waitForReconnect(states: readonly string[], from: number, timeoutMs = 10_000): Promise<void> {
  return waitFor(() => states.slice(from).includes('disconnected') && states.at(-1) === 'connected', {
    timeoutMs,
    description: `the bus to go down and reconnect (states since: ${states.slice(from).join(' → ')})`,
  });
}
