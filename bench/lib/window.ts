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

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
