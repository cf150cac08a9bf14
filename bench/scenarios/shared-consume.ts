import type { BenchClient } from '../clients/client.js';
import { readyThenWaitForGo, reportProgress, waitForStop } from '../lib/ipc.js';
import type { Job, Measured } from '../lib/job.js';
import { peakRssMb, startTimer } from '../lib/measure.js';

/** Wall-clock time in ms with sub-ms precision, comparable between processes on one machine. */
const wallMs = (): number => performance.timeOrigin + performance.now();

/**
 * One of several consumer processes on one queue (the scale run's consumers
 * axis). Connected, it waits for the runner's go (the runner pre-fills the
 * queue meanwhile), consumes, and tells the runner how many deliveries it
 * acked every 10 ms; it does not know how many will come its way, so the
 * runner says stop once the acks of all consumers add up to the backlog.
 * Reports when it started consuming and when it acked last: the runner
 * takes the group's throughput from the earliest start to the latest ack.
 */
export async function sharedConsume(client: BenchClient, job: Job): Promise<Measured> {
  await client.connect();
  await readyThenWaitForGo();
  let acked = 0;
  let lastAckAtMs = 0;
  const startedAtMs = wallMs();
  const stop = startTimer();
  const stopReporting = reportProgress(() => acked);
  const stopped = waitForStop();
  await client.consume(
    () => undefined,
    () => {
      acked++;
      lastAckAtMs = wallMs();
    },
  );
  await stopped;
  stopReporting();
  const measured = stop(Math.max(acked, 1));
  const cpuUs = measured.cpuUsPerMsg * Math.max(acked, 1);
  return {
    result: { ...measured, messages: acked, cpuUs, startedAtMs, lastAckAtMs: acked > 0 ? lastAckAtMs : startedAtMs, peakRssMb: peakRssMb() },
    close: () => client.close(),
  };
}
