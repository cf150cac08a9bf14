import { describe, expect, it } from 'vitest';
import { ErrorCode, PublishError } from '../../src/errors.js';
import { type CancelTimer, PublishBuffer, type PublishClock } from '../../src/transport/publish-buffer.js';
import type { OutboundMessage } from '../../src/transport/transport.js';

/** A clock that moves only when told to. */
class ManualClock implements PublishClock {
  private time = 0;
  private timers: { at: number; work: () => void }[] = [];
  armed = 0;

  now(): number {
    return this.time;
  }

  timer(work: () => void, delayMs: number): CancelTimer {
    const entry = { at: this.time + delayMs, work };
    this.timers.push(entry);
    this.armed++;
    return () => (this.timers = this.timers.filter((other) => other !== entry));
  }

  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.time = due.at;
      due.work();
    }
    this.time = until;
  }
}

function message(timeoutMs = 100): OutboundMessage {
  return { exchange: 'events', routingKey: 'order.created', body: '{}', properties: {}, timeoutMs };
}

function bufferOn(clock: ManualClock, maxPending = 10): PublishBuffer<string> {
  return new PublishBuffer<string>({
    clock,
    maxPending,
    timeoutError: (m) => new PublishError(ErrorCode.PUBLISH_TIMEOUT, `timeout ${m.routingKey}`),
  });
}

describe('publish buffer', () => {
  it('publish buffer - hands out held publishes in order; a confirm resolves one', async () => {
    const buffer = bufferOn(new ManualClock());
    const first = buffer.hold(message());
    void buffer.hold(message());
    const held = buffer.next();
    expect(held).toBeDefined();
    buffer.sent(held!, 'channel-1');
    buffer.confirmed(held!);
    await expect(first).resolves.toBeUndefined();
    expect(buffer.size).toBe(1);
  });

  it('publish buffer - refuses past maxPending with PUBLISH_BUFFER_FULL', async () => {
    const buffer = bufferOn(new ManualClock(), 1);
    void buffer.hold(message());
    await expect(buffer.hold(message())).rejects.toMatchObject({ code: ErrorCode.PUBLISH_BUFFER_FULL });
  });

  it('publish buffer - each publish times out at its own deadline, waiting or in flight, with one timer', async () => {
    const clock = new ManualClock();
    const buffer = bufferOn(clock);
    const short = buffer.hold(message(50));
    const long = buffer.hold(message(200));
    buffer.sent(buffer.next()!, 'channel-1');
    clock.advance(50);
    await expect(short).rejects.toMatchObject({ code: ErrorCode.PUBLISH_TIMEOUT });
    expect(buffer.size).toBe(1);
    clock.advance(149);
    expect(buffer.size).toBe(1);
    clock.advance(1);
    await expect(long).rejects.toMatchObject({ code: ErrorCode.PUBLISH_TIMEOUT });
    expect(clock.armed).toBe(2);
  });

  it('publish buffer - a publish put back is sent again first, and a stale confirm of it is ignored', () => {
    const buffer = bufferOn(new ManualClock());
    void buffer.hold(message());
    void buffer.hold(message());
    const first = buffer.next()!;
    buffer.sent(first, 'channel-1');
    buffer.putBack([first]);
    buffer.confirmed(first);
    expect(buffer.size).toBe(2);
    expect(buffer.next()).toBe(first);
  });

  it('publish buffer - drain waits for the last one; past its timeout the rest reject with CLOSED', async () => {
    const clock = new ManualClock();
    const buffer = bufferOn(clock);
    const sent = buffer.hold(message(1_000));
    const waiting = buffer.hold(message(1_000));
    buffer.sent(buffer.next()!, 'channel-1');
    const drained = buffer.drain(10);
    clock.advance(10);
    await expect(drained).resolves.toBe(false);
    await expect(sent).rejects.toMatchObject({
      code: ErrorCode.CLOSED,
      message: expect.stringContaining('may or may not have been delivered'),
    });
    await expect(waiting).rejects.toMatchObject({ code: ErrorCode.CLOSED, message: expect.stringContaining('was not delivered') });
    await expect(bufferOn(clock).drain()).resolves.toBe(true);
  });
  it('publish buffer - publishes timed out while waiting are let go at once, not kept until the connection returns', async () => {
    const clock = new ManualClock();
    const buffer = bufferOn(clock, 1000);
    // A long outage: each publish times out while nothing can be sent; each kept its body and callback.
    const failed: Promise<void>[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 100; i++) failed.push(buffer.hold(message()).catch(() => undefined));
      clock.advance(100);
    }
    await Promise.all(failed);
    expect(buffer.size).toBe(0);
    expect(buffer.waiting).toBe(0);
    // Those not timed out yet stay, in order.
    void buffer.hold(message(100)).catch(() => undefined);
    void buffer.hold(message(300)).catch(() => undefined);
    clock.advance(100);
    expect(buffer.waiting).toBe(1);
    expect(buffer.next()?.message.timeoutMs).toBe(300);
  });
});
