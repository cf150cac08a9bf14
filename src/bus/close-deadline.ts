/**
 * The deadline of a close under way: the earliest any `close({ timeoutMs })`
 * call asked for. A SIGTERM handler's `close({ timeoutMs })` after a plain
 * `close()` must still bound the wait, so a later call can bring it closer.
 */
export class CloseDeadline {
  private at: number | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private reach: (() => void) | undefined;
  /** Resolves once the deadline passed (never, while there is none). */
  readonly reached: Promise<void> = new Promise((resolve) => (this.reach = resolve));

  /** Moves the deadline to `at` (epoch ms) if that is sooner; `undefined` changes nothing. */
  tighten(at: number | undefined): void {
    if (at === undefined || (this.at !== undefined && this.at <= at)) return;
    this.at = at;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reach?.(), Math.max(0, at - Date.now()));
  }

  /** Milliseconds left, 0 once passed; undefined while there is no deadline. */
  remainingMs(): number | undefined {
    return this.at === undefined ? undefined : Math.max(0, this.at - Date.now());
  }

  /** Whether `work` settled before the deadline (it is not cancelled either way). */
  async beats(work: Promise<unknown>): Promise<boolean> {
    return Promise.race([work.then(() => true), this.reached.then(() => false)]);
  }

  /** Stops the timer: the close is done. */
  dispose(): void {
    clearTimeout(this.timer);
  }
}
