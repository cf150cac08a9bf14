import type { ConfirmChannel } from 'amqplib';

/**
 * Calls `send(i)` for i = 0..count-1 with at most `window` promises pending,
 * and resolves when all have resolved. Rejects on the first rejection.
 */
export function windowed(count: number, window: number, send: (i: number) => Promise<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let done = 0;
    let failed = false;
    const settled = (): void => {
      done++;
      if (done === count) resolve();
      else pump();
    };
    const fail = (error: unknown): void => {
      failed = true;
      reject(error);
    };
    const pump = (): void => {
      while (!failed && next < count && next - done < window) send(next++).then(settled, fail);
    };
    if (count === 0) resolve();
    else pump();
  });
}

/**
 * Publishes `count` messages on a confirm channel, at most `window` unconfirmed, waiting for 'drain' when
 * amqplib's socket buffer is full: a careful hand-written raw amqplib publisher, with no Promise per message.
 * `send(i, done)` publishes message i with `done` as its confirm callback and returns what `channel.publish`
 * returned. Resolves once all are confirmed; rejects on the first nack.
 */
export function publishConfirmed(
  channel: ConfirmChannel,
  count: number,
  window: number,
  send: (i: number, done: (error: unknown) => void) => boolean,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let confirmed = 0;
    let blocked = false;
    const onConfirm = (error: unknown): void => {
      if (error) return reject(error instanceof Error ? error : new Error('a publish was nacked'));
      if (++confirmed === count) resolve();
      else if (!blocked) pump();
    };
    const pump = (): void => {
      while (sent < count && sent - confirmed < window) {
        if (!send(sent++, onConfirm)) {
          blocked = true;
          channel.once('drain', () => {
            blocked = false;
            pump();
          });
          return;
        }
      }
    };
    if (count === 0) resolve();
    else pump();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
