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
