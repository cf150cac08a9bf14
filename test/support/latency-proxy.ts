import { tcpProxy } from './tcp-proxy.js';

/**
 * A TCP proxy in front of RabbitMQ that delays every byte from the broker to
 * the client by `delayMs`, in order: a broker that far away delivers each
 * message `delayMs` late, as `MemoryBroker.delayDeliveries(delayMs)` plays it.
 * Resolves with the broker URL through the proxy; it stops when the test finishes.
 */
export async function latencyProxy(brokerUrl: string, delayMs: number): Promise<string> {
  return (await tcpProxy(brokerUrl, { downstreamDelayMs: delayMs })).url;
}
