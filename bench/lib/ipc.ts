import type { ChildMessage, RunnerMessage } from './job.js';

/** Tells the runner this child is connected, and waits for its go (it may pre-fill a queue meanwhile). */
export function readyThenWaitForGo(): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    const onMessage = (message: RunnerMessage): void => {
      if (message.type !== 'go') return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
    process.send({ type: 'ready' } satisfies ChildMessage);
  });
}

/** Resolves on the runner's `stop`; rejects when the runner went away first, so an orphaned child does not wait forever. */
export function waitForStop(): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('shared-consume needs the runner (an IPC channel)'));
    const onMessage = (message: RunnerMessage): void => {
      if (message.type !== 'stop') return;
      process.off('message', onMessage);
      process.off('disconnect', onDisconnect);
      resolve();
    };
    const onDisconnect = (): void => reject(new Error('the runner went away before it said stop'));
    process.on('message', onMessage);
    process.once('disconnect', onDisconnect);
  });
}

/**
 * Tells the runner how many deliveries were acked so far, every `intervalMs`
 * while the figure changes (at 30,000 acks/s one message per 10 ms costs
 * nothing measurable). Returns the function that stops reporting.
 */
export function reportProgress(acked: () => number, intervalMs = 10): () => void {
  let sent = -1;
  const timer = setInterval(() => {
    const now = acked();
    if (now === sent || !process.send) return;
    sent = now;
    process.send({ type: 'progress', acked: now } satisfies ChildMessage);
  }, intervalMs);
  return () => clearInterval(timer);
}
