import type { BenchClient } from '../clients/client.js';
import { type Job, type Measured, publishWarmup } from '../lib/job.js';
import { peakRssMb, startTimer } from '../lib/measure.js';

/**
 * Scenario 1, publish throughput: `count` persistent events with publisher
 * confirms, at most `window` unconfirmed, timed until the last confirm. A
 * warm-up of a tenth (at most 2,000) goes first, untimed.
 */
export async function publish(client: BenchClient, job: Job): Promise<Measured> {
  await client.connect();
  await client.publishMany(publishWarmup(job.count), job.window);
  const stop = startTimer();
  await client.publishMany(job.count, job.window);
  const measured = stop(job.count);
  return { result: { ...measured, peakRssMb: peakRssMb() }, close: () => client.close() };
}
