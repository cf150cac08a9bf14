/**
 * One chaos service: a bus on its own queue whose handler records every id it
 * handles and reports it (batched) with the bus's state$ changes and its
 * warnings. Runs in a child process (service-main.ts) or in the run's process.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EventBus } from '../src/index.js';
import { capturingLogger } from './log-lines.js';
import type { ServiceConfig, ServiceMessage } from './protocol.js';

const FLUSH_MS = 50;
/** Log lines forwarded per service; past it they are dropped. */
const MAX_LOG_LINES = 500;

export interface RunningService {
  /** Closes the bus (in-flight handlers get `timeoutMs`), flushes what is left, and reports `closed`. */
  close(timeoutMs: number): Promise<void>;
}

/** Connects the service's bus, starts handling, and reports `ready` once its consumer is live. */
export async function runService(config: ServiceConfig, send: (message: ServiceMessage) => void): Promise<RunningService> {
  let ids: string[] = [];
  let logLines = 0;
  let times: number[] = [];
  const flush = (): void => {
    if (ids.length === 0) return;
    send({ type: 'handled', ids, at: times });
    ids = [];
    times = [];
  };
  const bus = await EventBus.connect({
    url: config.url,
    exchange: config.exchange,
    queue: config.queue,
    ...(config.quorum ? { queueOptions: { type: 'quorum' } } : {}),
    prefetch: config.prefetch,
    reconnectDelayMs: config.reconnectDelayMs,
    connectionName: config.connectionName,
    handlerTimeoutMs: 30_000,
    publishTimeoutMs: 60_000,
    logger: capturingLogger((line) => {
      if (logLines++ < MAX_LOG_LINES) send({ type: 'log', line });
    }),
  });
  const state = bus.state$.subscribe((s) =>
    send({ type: 'state', change: { status: s.status, ...('reason' in s ? { reason: s.reason } : {}), at: Date.now() } }),
  );
  bus.handle(config.pattern, async (event) => {
    if (config.handlerDelayMs > 0) await sleep(Math.random() * config.handlerDelayMs);
    ids.push(event.id);
    times.push(Date.now());
  });
  await bus.ready();
  const flusher = setInterval(flush, FLUSH_MS);
  send({ type: 'ready', at: Date.now() });
  return {
    async close(timeoutMs) {
      try {
        await bus.close({ timeoutMs });
      } finally {
        clearInterval(flusher);
        state.unsubscribe();
        flush();
      }
      send({ type: 'closed', stats: bus.stats() });
    },
  };
}
