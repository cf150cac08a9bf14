/**
 * One (client, scenario) measurement in a process of its own. Started by
 * run.ts with a Job as JSON in argv[2]; prints one `BENCH_RESULT {...}` line.
 * Modules are loaded on demand so that RSS holds only what the run uses.
 */
import { CLIENTS } from './clients/index.js';
import { type Job, type Result, RESULT_PREFIX } from './lib/job.js';

const job = JSON.parse(process.argv[2] ?? '{}') as Job;

async function main(): Promise<Result> {
  switch (job.scenario) {
    case 'memory-routing':
      return (await import('./scenarios/memory-routing.js')).memoryRouting(job);
    case 'rss-over-time':
      return (await import('./scenarios/rss-over-time.js')).rssOverTime(job);
    default: {
      const load = CLIENTS[job.client];
      if (!load) throw new Error(`unknown client ${job.client}`);
      const client = (await load())(job);
      if (job.scenario === 'publish') return (await import('./scenarios/publish.js')).publish(client, job);
      if (job.scenario === 'consume') return (await import('./scenarios/consume.js')).consume(client, job);
      return (await import('./scenarios/latency.js')).latency(client, job);
    }
  }
}

main().then(
  (result) => {
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
    process.disconnect?.();
    // A client that leaves a timer or socket behind after close() must not stall the run.
    setTimeout(() => process.exit(0), 2_000).unref();
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
