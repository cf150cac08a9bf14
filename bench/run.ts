/**
 * `npm run bench`: runs every (scenario, client) in a child process of its
 * own, interleaved round by round, and prints and writes the medians with
 * the ratio to raw amqplib measured in the same round. See README.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { updateDocs } from './docs.js';
import { AmqpAdmin } from './lib/amqp-admin.js';
import { buildChild } from './lib/child-process.js';
import { readConfig } from './lib/config.js';
import { latestFile } from './lib/doc-results.js';
import { publishWarmup } from './lib/job.js';
import { brokerPid, machineInfo, warnIfLoaded } from './lib/machine.js';
import { type Case, plan } from './lib/plan.js';
import { type Run, summarize, textTable } from './lib/report.js';
import { type RunContext, runJob } from './lib/run-job.js';

const here = dirname(fileURLToPath(import.meta.url));
const config = readConfig(process.argv.slice(2), process.env);
const cases = plan(config, brokerPid(config.url));
const needsBroker = cases.some((c) => c.broker !== 'none');
const tag = `rxb.${Date.now().toString(36)}`;
let serial = 0;

async function runCase(ctx: RunContext, c: Case, round: number): Promise<Run> {
  const exchange = `${tag}.${++serial}.${c.scenario}.${c.client}`;
  const job = { ...c.job, exchange, queue: `${exchange}.q` };
  const published = c.scenario === 'publish' || c.scenario === 'wire-cost';
  const outcome = await runJob(ctx, {
    job,
    broker: c.broker,
    prefill: c.scenario === 'consume',
    expectedLeft: published ? c.job.count + publishWarmup(c.job.count) : 0,
  });
  return outcome.result ? { round, case: c, result: outcome.result } : { round, case: c, error: outcome.error };
}

function progress(run: Run, seconds: number): string {
  const c = run.case;
  const name = `[round ${run.round}] ${c.scenario} ${c.client}${c.variant ? ` (${c.variant})` : ''}`;
  if (!run.result) return `${name}: FAILED ${run.error}`;
  const r = run.result;
  const latency = r.p50Ms === undefined ? '' : `, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms?.toFixed(2)} ms`;
  return `${name}: ${Math.round(r.msgPerSec).toLocaleString('en-US')} msg/s, ${r.cpuUsPerMsg.toFixed(1)} µs/msg${latency}, peak RSS ${Math.round(r.peakRssMb)} MB (${seconds.toFixed(1)} s)`;
}

/** `npm run bench -- <args>`, as typed: recorded with the results so that the docs quote the command that made them. */
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

/** The docs' generated regions (docs/guide/performance.md, README.md) from what was just written. */
async function rewriteDocs(): Promise<void> {
  try {
    const touched = await updateDocs({ results: true });
    console.log(touched.length > 0 ? `Rewrote the generated regions of ${touched.join(', ')}` : 'Docs already up to date');
  } catch (error) {
    console.error(`The results are written, but the docs are not:\n${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const script = await buildChild(here);
  const admin = needsBroker ? new AmqpAdmin(config.url) : undefined;
  await admin?.connect();
  const ctx: RunContext = { script, admin, timeoutMs: config.childTimeoutMs };
  const info = machineInfo(config.url, admin, join(here, '..'));
  console.log(`rx-pubsub bench: ${config.rounds} round(s) of ${cases.filter((c) => !c.once).length} runs${config.quick ? ' (quick)' : ''}; ${info.nproc} cores, Node ${info.node}, RabbitMQ ${info.rabbitmq}`);
  warnIfLoaded(info);
  const runs: Run[] = [];
  for (let round = 1; round <= config.rounds; round++) {
    for (const c of cases) {
      if (c.once && round > 1) continue;
      const start = performance.now();
      const run = await runCase(ctx, c, round);
      runs.push(run);
      console.log(progress(run, (performance.now() - start) / 1000));
    }
  }
  await admin?.close();

  const rows = summarize(cases, runs);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`\n${textTable(rows)}\n`);
  console.log(`×raw: ÷ the baseline in the same round (publish: naive raw amqplib; consume: raw amqplib; latency: p50 ÷ raw amqplib noDelay's). Took ${Math.round(seconds)} s.`);
  const results = join(here, 'results');
  await mkdir(results, { recursive: true });
  const perRound = runs.map(({ round, case: c, result, error }) => ({ round, scenario: c.scenario, client: c.client, variant: c.variant, result, error }));
  const json = { started: started.toISOString(), seconds: Math.round(seconds), command, machine: info, config, rows, runs: perRound };
  await writeFile(join(results, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(join(results, 'latest.md'), latestFile(json));
  console.log(`Wrote ${join('bench', 'results', 'latest.json')} and latest.md`);
  if (runs.some((run) => run.error)) process.exitCode = 1;
  await rewriteDocs();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
