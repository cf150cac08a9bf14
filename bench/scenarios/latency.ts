import type { BenchClient } from '../clients/client.js';
import type { BenchData } from '../lib/bench-event.js';
import type { Job, Measured } from '../lib/job.js';
import { peakRssMb, percentiles, startTimer } from '../lib/measure.js';
import { sleep } from '../lib/window.js';

/**
 * Scenario 3, end-to-end latency: one process publishes `rate` events per
 * second for `seconds` (paced on a 1 ms timer) and consumes them; each
 * event carries `performance.now()` from just before its publish, and the
 * handler records now − sentAt. The first second is warm-up and not counted.
 * CPU per message covers both sides (publish + consume).
 */
export async function latency(client: BenchClient, job: Job): Promise<Measured> {
  const total = Math.round(job.rate * job.seconds);
  const warmup = Math.min(job.rate, Math.floor(total / 5));
  const samples = new Float64Array(total - warmup);
  let received = 0;
  await client.connect();
  await client.consume(
    (data: BenchData) => {
      if (data.seq >= warmup) samples[data.seq - warmup] = performance.now() - data.sentAt;
      received++;
    },
    () => undefined,
  );

  const stop = startTimer();
  let failure: unknown;
  await new Promise<void>((resolve) => {
    const start = performance.now();
    let sent = 0;
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * job.rate));
      while (sent < due) {
        client.publish(sent, performance.now()).catch((error: unknown) => (failure ??= error));
        sent++;
      }
      if (sent === total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  for (let waited = 0; received < total && waited < 10_000 && !failure; waited += 5) await sleep(5);
  const measured = stop(received);
  if (failure) throw failure;
  if (received !== total) throw new Error(`received ${received} of ${total} events`);
  const { p50, p99, max } = percentiles(samples);
  return { result: { ...measured, p50Ms: p50, p99Ms: p99, maxMs: max, peakRssMb: peakRssMb() }, close: () => client.close() };
}
