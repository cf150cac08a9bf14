import type { DeadLetterSession } from './dead-letter-queue.js';

/**
 * Waits until the broker has processed the acks sent so far, sharing one
 * round trip among all who wait: a wait asked for while a round trip is out
 * joins the next one (the one out may have left before its ack).
 */
export class AckBarrier {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly session: DeadLetterSession) {}

  /** Resolves once every ack sent before this call was applied by the broker. */
  passed(): Promise<void> {
    if (this.queued !== undefined) return this.queued;
    if (this.running === undefined) return this.start();
    const start = (): Promise<void> => this.start();
    this.queued = this.running.then(start, start);
    return this.queued;
  }

  private start(): Promise<void> {
    this.queued = undefined;
    const running = this.session.acksProcessed();
    this.running = running;
    const done = (): void => {
      if (this.running === running) this.running = undefined;
    };
    running.then(done, done);
    return running;
  }
}
