import type { BenchClient } from '../clients/client.js';
import { readyThenWaitForGo } from '../lib/ipc.js';
import type { Job, Measured } from '../lib/job.js';
import { peakRssMb, startTimer } from '../lib/measure.js';

/**
 * Scenario 2, consume throughput: once connected, the runner pre-fills the
 * queue with `count` events (untimed); then the clock runs from the start of
 * consuming until every delivery was decoded, handled and acked.
 */
export async function consume(client: BenchClient, job: Job): Promise<Measured> {
  await client.connect();
  await readyThenWaitForGo();
  let handled = 0;
  let acked = 0;
  const stop = startTimer();
  await new Promise<void>((resolve, reject) => {
    client
      .consume(
        () => void handled++,
        () => {
          if (++acked === job.count) resolve();
        },
      )
      .catch(reject);
  });
  const measured = stop(job.count);
  if (handled !== job.count) throw new Error(`handled ${handled} of ${job.count} deliveries`);
  return { result: { ...measured, peakRssMb: peakRssMb() }, close: () => client.close() };
}
