/**
 * One (client, scenario) measurement in a process of its own. Started by
 * run.ts with a Job as JSON in argv[2]. Prints `BENCH_RESULT {...}` as soon
 * as the timed part is over, then closes the client and prints
 * `BENCH_CLOSED {...}`: a client that fails while closing keeps its figures
 * and gets a note. Modules are loaded on demand so that RSS holds only what
 * the run uses.
 */
import { CLIENTS } from './clients/index.js';
import { CLOSED_PREFIX, type Job, type Measured, RESULT_PREFIX } from './lib/job.js';
import { watchBroker } from './lib/measure.js';

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const CLOSE_TIMEOUT_MS = 15_000;
watchBroker(job.brokerPid);

async function measure(): Promise<Measured> {
  switch (job.scenario) {
    case 'memory-routing':
      return (await import('./scenarios/memory-routing.js')).memoryRouting(job);
    case 'rss-over-time':
      return (await import('./scenarios/rss-over-time.js')).rssOverTime(job);
    default: {
      const load = CLIENTS[job.client];
      if (!load) throw new Error(`unknown client ${job.client}`);
      const client = (await load())(job);
      if (job.scenario === 'publish' || job.scenario === 'wire-cost') return (await import('./scenarios/publish.js')).publish(client, job);
      if (job.scenario === 'consume') return (await import('./scenarios/consume.js')).consume(client, job);
      if (job.scenario === 'shared-consume') return (await import('./scenarios/shared-consume.js')).sharedConsume(client, job);
      return (await import('./scenarios/latency.js')).latency(client, job);
    }
  }
}

/** Closes, catching what close() rejects with and what it throws from a later turn. */
async function close(measured: Measured): Promise<string | undefined> {
  let error: string | undefined;
  const onUncaught = (e: unknown) => void (error ??= `uncaught while closing: ${messageOf(e)}`);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      measured.close(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`close() took over ${CLOSE_TIMEOUT_MS / 1000} s`)), CLOSE_TIMEOUT_MS))),
    ]);
  } catch (e) {
    error ??= `close() failed: ${messageOf(e)}`;
  }
  clearTimeout(timer);
  await new Promise((resolve) => setTimeout(resolve, 50)); // let a throw from a later turn surface
  return error;
}

function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
}

async function main(): Promise<void> {
  const measured = await measure();
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(measured.result)}\n`);
  const error = await close(measured);
  process.stdout.write(`${CLOSED_PREFIX}${JSON.stringify(error ? { error } : {})}\n`);
  process.disconnect?.();
  // A client that leaves a timer or socket behind after close() must not stall the run.
  setTimeout(() => process.exit(0), 2_000).unref();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
