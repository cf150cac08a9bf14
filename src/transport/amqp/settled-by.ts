/**
 * Whether `promise` settled (resolved or rejected) before `deadline`, an
 * epoch time in ms. Every wait on the broker in a close goes through it:
 * a blocked or unreachable broker never answers, and a close must end anyway.
 */
export function settledBy(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(done, done);
  });
}
