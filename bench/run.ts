/**
 * `npm run bench`: runs every (scenario, client) in a child process of its
 * own, interleaved round by round, and prints and writes the medians with
 * the ratio to raw amqplib measured in the same round. See README.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AmqpAdmin } from './lib/amqp-admin.js';
import { buildChild } from './lib/child-process.js';
import { type BenchConfig, readConfig } from './lib/config.js';
import { publishWarmup } from './lib/job.js';
import { brokerPid, machineInfo, type MachineInfo, warnIfLoaded } from './lib/machine.js';
import { type Case, plan } from './lib/plan.js';
import { markdownTable, type Row, type Run, summarize, textTable } from './lib/report.js';
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

function markdown(rows: readonly Row[], info: MachineInfo, cfg: BenchConfig, seconds: number, started: Date): string {
  return [
    `# rx-pubsub benchmark — ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${info.nproc} cores (${info.cpu}), ${info.memoryGb} GB, ${info.os}; Node ${info.node}; RabbitMQ ${info.rabbitmq} on the same machine (${info.broker}); load average at start ${info.loadAverageAtStart.join(' / ')}.`,
    `rx-pubsub: ${info.rxPubsub}.`,
    `Command: \`npm run bench\`${cfg.quick ? ' (BENCH_QUICK=1)' : ''}; ${cfg.rounds} round(s), medians; took ${Math.round(seconds)} s.`,
    `Sizes: publish ${cfg.publishCount.toLocaleString('en-US')} events (window ${cfg.window}); consume ${cfg.consumeCount.toLocaleString('en-US')} (prefetch ${cfg.prefetch}); latency ${cfg.latencyRate}/s for ${cfg.latencySeconds} s; memory:// ${cfg.memoryCount.toLocaleString('en-US')} deliveries; RSS over time ${cfg.rssMemoryCount.toLocaleString('en-US')} (memory://) and ${cfg.rssAmqpCount.toLocaleString('en-US')} (RabbitMQ) deliveries, ${cfg.handlerMs} ms handler.`,
    '',
    markdownTable(rows),
    '',
    '×raw: throughput ÷ the baseline\'s in the same round (higher is better): naive raw amqplib on publish and wire-cost rows, raw amqplib on consume rows; on latency rows, p50 ÷ raw amqplib noDelay\'s p50 (lower is better).',
    'CPU ×raw, broker ×raw, RSS ×raw: client CPU, broker CPU per message and peak RSS ÷ the baseline\'s in the same round (lower is better). Broker CPU: RabbitMQ\'s process (user + system, /proc/<pid>/stat) over the timed part. See README.md.',
    '',
  ].join('\n');
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
  const json = { started: started.toISOString(), seconds: Math.round(seconds), machine: info, config, rows, runs: perRound };
  await writeFile(join(results, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(join(results, 'latest.md'), markdown(rows, info, config, seconds, started));
  console.log(`Wrote ${join('bench', 'results', 'latest.json')} and latest.md`);
  if (runs.some((run) => run.error)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
