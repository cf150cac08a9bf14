/**
 * The faults of rx-pubsub/testing, produced on both transports: through
 * `MemoryBroker`'s fault methods on memory://, and with the real thing on
 * RabbitMQ (rabbitmqctl, a queue delete, a full reject-publish queue). A
 * parity test runs one scenario per transport and asserts what a user of the
 * bus observes.
 */
import amqplib, { type ConfirmChannel } from 'amqplib';
import { memoryBroker, memoryUrl } from '../../src/testing/index.js';
import { latencyProxy } from './latency-proxy.js';
import { amqpUrl, closeAllConnections, rabbitmqctl, teardown, uniqueName, waitFor } from './broker.js';
import { TRANSPORTS, type TransportKind } from './bus.js';

/**
 * The broker-wide faults of rx-pubsub/testing (`MemoryBroker`'s fault methods) and their RabbitMQ twins.
 * Not a `Rig` (rig.ts): those hit every connection of the broker (serial tests on RabbitMQ),
 * where a Rig cuts only the buses behind its proxy.
 */
export interface FaultInjector {
  readonly kind: TransportKind;
  /** Where the buses of the test connect. */
  readonly url: string;
  /** Every connection closed by the broker: `rabbitmqctl close_all_connections` / `dropConnections()`. */
  dropConnections(): Promise<void>;
  /** `basic.cancel` to every consumer of `queue`, the queue kept: sent by the channel process (`rabbitmqctl eval`) / `cancelConsumers()`. */
  cancelConsumers(queue: string): Promise<void>;
  /** The queue deleted behind the bus's back (its consumers get `basic.cancel`). */
  deleteQueue(queue: string): Promise<void>;
  /**
   * The queue deleted and declared again with other `arguments` behind the bus's back, durable and bound to
   * nothing: the bus can no longer declare it as it wants it (`TOPOLOGY_FAILED`) until it is deleted again.
   * On RabbitMQ the bus may declare it back first (it re-declares on `basic.cancel`): then delete and declare again.
   */
  redeclareQueue(queue: string, args: Record<string, unknown>): Promise<void>;
  /**
   * The broker nacks the next publish to `exchange` with `routingKey`: a full
   * `x-max-length: 1, x-overflow: reject-publish` queue bound for it / `refuseNextPublish()`.
   * Resolves with the function that ends the refusal (RabbitMQ refuses until the queue is gone).
   */
  refuseNextPublish(exchange: string, routingKey: string): Promise<() => Promise<void>>;
  /** A memory alarm: `set_vm_memory_high_watermark 0.000001` / `block()`; resolves once raised. */
  raiseMemoryAlarm(): Promise<void>;
  /** Ends it: the watermark back to 0.4 / `unblock()`; resolves once cleared. */
  clearMemoryAlarm(): Promise<void>;
  /**
   * Deliveries `ms` late, as from a distant broker: `delayDeliveries(ms)` /
   * a proxy delaying every byte from RabbitMQ by `ms`. Resolves with the URL
   * a consuming bus connects to (the proxy's, on RabbitMQ).
   */
  delayDeliveries(ms: number): Promise<string>;
  /** Messages ready in `queue` (not the unacked ones). */
  readyCount(queue: string): Promise<number>;
  /** Consumers of `queue` the broker knows. */
  consumerCount(queue: string): Promise<number>;
}

/** `describe.each(FAULT_TRANSPORTS)('... (%s)', (kind, faults) => ...)`: a fresh injector per call. */
export const FAULT_TRANSPORTS: [kind: TransportKind, faults: () => FaultInjector][] = TRANSPORTS.map(([kind]) => [
  kind,
  () => (kind === 'amqp' ? amqpFaults() : memoryFaults()),
]);

function memoryFaults(): FaultInjector {
  const url = memoryUrl('faults');
  const broker = memoryBroker(url);
  teardown(() => {
    broker.unblock();
    broker.delayDeliveries(0);
  });
  return {
    kind: 'memory',
    url,
    dropConnections: async () => void broker.dropConnections(),
    cancelConsumers: async (queue) => void broker.cancelConsumers(queue),
    deleteQueue: async (queue) => void broker.deleteQueue(queue),
    redeclareQueue: async (queue, args) => {
      broker.deleteQueue(queue);
      broker.declareQueue(queue, { durable: true, exclusive: false, autoDelete: false, arguments: args });
    },
    refuseNextPublish: async () => {
      broker.refuseNextPublish();
      return async () => undefined;
    },
    raiseMemoryAlarm: async () => broker.block(),
    clearMemoryAlarm: async () => broker.unblock(),
    delayDeliveries: async (ms) => {
      broker.delayDeliveries(ms);
      return url;
    },
    readyCount: async (queue) => broker.queueDepth(queue),
    consumerCount: async (queue) => broker.consumerCount(queue),
  };
}

const ALARM_WATERMARK = '0.000001';
const NORMAL_WATERMARK = '0.4';

function amqpFaults(): FaultInjector {
  const url = amqpUrl();
  const vhost = decodeURIComponent(new URL(url).pathname.slice(1)) || '/';
  let alarmed = false;
  const clearMemoryAlarm = async (): Promise<void> => {
    alarmed = false;
    await rabbitmqctl('set_vm_memory_high_watermark', NORMAL_WATERMARK);
    await waitFor(async () => !(await memoryAlarmed()), { timeoutMs: 15_000, intervalMs: 200, description: 'the memory alarm to clear' });
  };
  teardown(() => (alarmed ? clearMemoryAlarm() : undefined));
  return {
    kind: 'amqp',
    url,
    dropConnections: closeAllConnections,
    cancelConsumers: async (queue) => {
      // What a channel sends when the broker cancels its consumer (a replica lost, a failover);
      // the server side lets go of the consumer once the client closes that channel.
      const resource = `rabbit_misc:r(<<"${erlangString(vhost)}">>, queue, <<"${erlangString(queue)}">>)`;
      await rabbitmqctl(
        'eval',
        `{ok, Q} = rabbit_amqqueue:lookup(${resource}), [rabbit_channel:send_command(Ch, {'basic.cancel', Tag, true}) || {Ch, Tag, _, _, _, _, _, _} <- rabbit_amqqueue:consumers(Q)], ok.`,
      );
    },
    deleteQueue: (queue) => onFreshChannel(async (channel) => void (await channel.deleteQueue(queue))),
    redeclareQueue: (queue, args) =>
      waitFor(
        () =>
          onFreshChannel(async (channel) => {
            await channel.deleteQueue(queue);
            await channel.assertQueue(queue, { durable: true, arguments: args });
            return true;
          }),
        { timeoutMs: 10_000, description: `${queue} declared again with other arguments` },
      ),
    refuseNextPublish: async (exchange, routingKey) => {
      const full = uniqueName('full');
      const remove = () => onFreshChannel(async (channel) => void (await channel.deleteQueue(full)));
      teardown(remove);
      await onFreshChannel(async (channel) => {
        await channel.assertQueue(full, { durable: false, arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
        await channel.bindQueue(full, exchange, routingKey);
        channel.sendToQueue(full, Buffer.from('filler'));
        await channel.waitForConfirms();
      });
      return remove;
    },
    raiseMemoryAlarm: async () => {
      alarmed = true;
      await rabbitmqctl('set_vm_memory_high_watermark', ALARM_WATERMARK);
      await waitFor(memoryAlarmed, { timeoutMs: 15_000, intervalMs: 200, description: 'the memory alarm to be raised' });
    },
    clearMemoryAlarm,
    delayDeliveries: (ms) => latencyProxy(url, ms),
    readyCount: (queue) => onFreshChannel(async (channel) => (await channel.checkQueue(queue)).messageCount),
    consumerCount: (queue) => onFreshChannel(async (channel) => (await channel.checkQueue(queue)).consumerCount),
  };
}

async function memoryAlarmed(): Promise<boolean> {
  return (await rabbitmqctl('eval', 'rabbit_alarm:get_alarms().')).includes('memory');
}

/** Runs `work` on a channel of a connection of its own, closed afterwards (a cut connection cannot be reused). */
async function onFreshChannel<T>(work: (channel: ConfirmChannel) => Promise<T>): Promise<T> {
  const connection = await amqplib.connect(amqpUrl(), { timeout: 5_000 });
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => undefined);
    return await work(channel);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

function erlangString(value: string): string {
  if (!/^[\w./:-]*$/.test(value)) throw new Error(`not a name to put in an Erlang binary: ${value}`);
  return value;
}
