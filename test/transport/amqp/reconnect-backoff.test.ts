import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/index.js';
import { MAX_RECONNECT_DELAY_MS, reconnectDelayAfter } from '../../../src/transport/amqp/reconnect-backoff.js';
import { teardown } from '../../support/broker.js';

describe('reconnect backoff', () => {
  it('reconnect backoff - the next URL of a round after reconnectDelayMs; after each round that failed everywhere, twice as long, up to 30 s', () => {
    // Three URLs, 1 s: two misses inside a round wait 1 s each; the end of round k waits 2^(k-1) s.
    const waits = Array.from({ length: 12 }, (_, i) => reconnectDelayAfter(i + 1, 3, 1_000));
    expect(waits).toEqual([1_000, 1_000, 1_000, 1_000, 1_000, 2_000, 1_000, 1_000, 4_000, 1_000, 1_000, 8_000]);
    // One URL: every attempt is a round.
    expect([1, 2, 3, 4, 5].map((f) => reconnectDelayAfter(f, 1, 300))).toEqual([300, 600, 1_200, 2_400, 4_800]);
    expect(reconnectDelayAfter(1_000, 1, 1_000)).toBe(MAX_RECONNECT_DELAY_MS);
    // A reconnectDelayMs above the cap is kept, never shortened.
    expect(reconnectDelayAfter(50, 1, 60_000)).toBe(60_000);
    expect(reconnectDelayAfter(0, 3, 1_000)).toBe(1_000);
  });

  it('reconnect backoff - a bus whose every URL resets the connection tries them in turn, waiting longer after each round', async () => {
    const attempts: { port: number; at: number }[] = [];
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const server = createServer((socket) => {
        attempts.push({ port: (server.address() as { port: number }).port, at: Date.now() });
        socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
      ports.push((server.address() as { port: number }).port);
    }
    const url = ports.map((port) => `amqp://u:p@127.0.0.1:${port}`);
    const error = await EventBus.connect({ url, reconnectDelayMs: 100, connectTimeoutMs: 2_500 }).then(
      async (bus) => bus.close(),
      (e: unknown) => e,
    );
    expect(error).toBeDefined();
    // The URLs alternate, starting with the first.
    expect(attempts.slice(0, 6).map((a) => ports.indexOf(a.port))).toEqual([0, 1, 0, 1, 0, 1]);
    // Within a round 100 ms; between rounds 100, 200, 400, 800 ms: about 8 attempts in 2.5 s, not 25.
    const gaps = attempts.slice(1).map((a, i) => a.at - (attempts[i] as { at: number }).at);
    expect(attempts.length).toBeGreaterThanOrEqual(6);
    expect(attempts.length).toBeLessThanOrEqual(12);
    expect(gaps[3], gaps.join(', ')).toBeGreaterThanOrEqual(180); // after the 2nd round: 200 ms
    expect(gaps[4], gaps.join(', ')).toBeLessThan(180); // within the 3rd round: 100 ms
    expect(gaps[5], gaps.join(', ')).toBeGreaterThanOrEqual(380); // after the 3rd round: 400 ms
  });
});
