/**
 * `npm run bench:scale`: how cost grows as work grows. Measures rx-pubsub and
 * raw amqplib (the baseline, doing the same work) along five axes — event
 * size, matching handlers per delivery, prefetch, consumer processes on one
 * queue, classic against quorum queues — each point in child processes of
 * its own, interleaved round by round; writes medians and ratios to
 * results/scale.json and scale.md and one SVG chart per axis. See README.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { updateDocs } from './docs.js';
import { AmqpAdmin } from './lib/amqp-admin.js';
import { scaleFile } from './lib/doc-scale.js';
import { buildChild } from './lib/child-process.js';
import { type Job, publishWarmup } from './lib/job.js';
import { brokerPid, loadAverage, machineInfo, type MachineInfo, warnIfLoaded } from './lib/machine.js';
import { brokerIdleUsPerSec, watchBroker } from './lib/measure.js';
import { type JobSpec, type RunContext, runJob } from './lib/run-job.js';
import { type AxisPlan, bytesLabel, readScaleConfig, type ScaleClient, SCALE_CLIENTS, type ScalePoint, scalePlan } from './lib/scale-plan.js';
import { axisChart, type PointSummary, type ScaleRun, summarizeScale } from './lib/scale-report.js';
import { svgChart } from './lib/svg-chart.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const config = readScaleConfig(args, process.env);
const { points, axes } = scalePlan(config);
const pid = brokerPid(config.url);
const tag = `rxs.${Date.now().toString(36)}`;
let serial = 0;

/** The patterns of `count` handlers, all matching `bench.created` (the same three, repeated: rx-pubsub allows a pattern twice). */
function patternsFor(count: number): string[] {
  const three = ['bench.created', 'bench.*', '*.created'];
  return Array.from({ length: count }, (_, i) => three[i % three.length] as string);
}

/**
 * What a child does at `point`. Both clients send rx-pubsub's wire format
 * and disable Nagle (rx-pubsub always does), use `async` handlers routed by
 * pattern (raw amqplib through a hand-written router), and ack once every
 * handler is done.
 */
function specFor(point: ScalePoint, client: ScaleClient): JobSpec {
  const exchange = `${tag}.${++serial}.${point.mode}.${client}`;
  const consumes = point.mode === 'consume';
  const shared = consumes && point.consumers > 0;
  const job: Job = {
    url: config.url, wire: 'ours', brokerPid: pid, client, variant: '', exchange, queue: `${exchange}.q`,
    scenario: point.mode === 'publish' ? 'publish' : shared ? 'shared-consume' : 'consume',
    count: point.count, window: point.window, prefetch: point.prefetch, noDelay: true, consumes,
    patterns: consumes ? patternsFor(point.handlers) : [], asyncHandlers: true,
    eventBytes: point.eventBytes === 200 ? 0 : point.eventBytes, queueType: point.queueType,
    rate: 0, seconds: 0, handlerMs: 0, backlog: 0, prefill: 'bus', telemetry: 'api',
  };
  return {
    job,
    broker: consumes && client === 'rx-pubsub' ? 'exchange' : 'exchange+queue',
    prefill: consumes,
    expectedLeft: consumes ? 0 : point.count + publishWarmup(point.count),
    processes: shared ? point.consumers : 1,
  };
}

/** `consume 64 KB`, `consume prefetch 1`, `consume 4 processes`, `publish quorum`: what differs from the base setting. */
function describe(point: ScalePoint): string {
  const parts = [
    point.eventBytes !== 200 && bytesLabel(point.eventBytes),
    point.handlers !== 1 && `${point.handlers} handlers`,
    point.prefetch !== 100 && `prefetch ${point.prefetch}`,
    point.consumers > 0 && `${point.consumers} process${point.consumers > 1 ? 'es' : ''}`,
    point.queueType !== 'classic' && point.queueType,
  ].filter(Boolean);
  return `${point.mode} ${parts.length > 0 ? parts.join(', ') : '(base)'}`;
}

function progress(run: ScaleRun, point: ScalePoint, seconds: number): string {
  const name = `[round ${run.round}] ${describe(point)} ${run.client}`;
  if (!run.result) return `${name}: FAILED ${run.error}`;
  const r = run.result;
  const broker = r.brokerCpuUsPerMsg === undefined ? '' : `, broker ${r.brokerCpuUsPerMsg.toFixed(1)} µs/msg`;
  return `${name}: ${Math.round(r.msgPerSec).toLocaleString('en-US')} msg/s, ${r.cpuUsPerMsg.toFixed(1)} µs/msg${broker} (${seconds.toFixed(1)} s, load ${run.loadAverage})`;
}

function subtitle(info: MachineInfo, endLoad: readonly number[]): string {
  const rounds = `${config.rounds} round${config.rounds > 1 ? 's' : ''}, medians${config.quick ? ', --quick' : ''}`;
  return `${info.nproc} cores, Node ${info.node}, RabbitMQ ${info.rabbitmq}; ${rounds}; load average ${info.loadAverageAtStart[0]} at start, ${endLoad[0]} at end`;
}

/** `npm run bench:scale -- <args>`, as typed: recorded with the results so that the docs quote the command that made them. */
const command = `npm run bench:scale${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;

/** The performance page's generated scale region, from what was just written. */
async function rewriteDocs(): Promise<void> {
  try {
    const touched = await updateDocs({ scale: true });
    console.log(touched.length > 0 ? `Rewrote the generated regions of ${touched.join(', ')}` : 'Docs already up to date');
  } catch (error) {
    console.error(`The results are written, but the docs are not:\n${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

/** What the broker does with nobody of ours talking to it, sampled before each round (3 s). */
const brokerIdle: (number | undefined)[] = [];

/**
 * Before round 1, the first publish and consume points once per client with
 * at most 2,000 events, not counted: the first runs on a fresh broker and
 * disk cache would otherwise fall on the same points every round.
 */
async function warmUp(ctx: RunContext): Promise<void> {
  const firsts = (['publish', 'consume'] as const).flatMap((mode) => points.filter((p) => p.mode === mode && p.consumers === 0).slice(0, 1));
  for (const point of firsts) {
    for (const client of SCALE_CLIENTS) {
      const outcome = await runJob(ctx, specFor({ ...point, count: Math.min(point.count, 2_000) }, client));
      console.log(`[warm-up] ${describe(point)} ${client}: ${outcome.error ? `FAILED ${outcome.error}` : 'done'}`);
    }
  }
}

async function runAll(ctx: RunContext): Promise<ScaleRun[]> {
  const runs: ScaleRun[] = [];
  await warmUp(ctx);
  for (let round = 1; round <= config.rounds; round++) {
    const roundStart = performance.now();
    const idle = await brokerIdleUsPerSec(3_000);
    brokerIdle.push(idle);
    if (idle !== undefined) console.log(`[round ${round}] broker at rest: ${(idle / 1000).toFixed(1)} ms of CPU per second`);
    // raw amqplib first in odd rounds, second in even ones: whatever the previous run leaves the broker doing falls on both.
    const clients = round % 2 === 1 ? SCALE_CLIENTS : [...SCALE_CLIENTS].reverse();
    for (const point of points) {
      for (const client of clients) {
        const start = performance.now();
        const loadAtStart = loadAverage()[0] ?? 0;
        const outcome = await runJob(ctx, specFor(point, client));
        const run: ScaleRun = { round, pointId: point.id, client, loadAverage: loadAtStart, ...outcome };
        runs.push(run);
        console.log(progress(run, point, (performance.now() - start) / 1000));
      }
    }
    const took = (performance.now() - roundStart) / 1000;
    // Every round does the same work: the first one tells how long the run takes on this machine today.
    const left = took * (config.rounds - 1);
    if (round === 1 && config.rounds > 1) console.log(`[round 1] took ${Math.round(took)} s: about ${left < 120 ? `${Math.round(left)} s` : `${Math.round(left / 60)} min`} to go (--count=N or --rounds=N for a shorter run)`);
  }
  return runs;
}

async function write(axesRun: readonly AxisPlan[], summaries: ReadonlyMap<string, PointSummary>, runs: readonly ScaleRun[], info: MachineInfo, started: Date, seconds: number): Promise<void> {
  const endLoad = loadAverage();
  const results = join(here, 'results');
  await mkdir(results, { recursive: true });
  const machine = { ...info, loadAverageAtEnd: endLoad, brokerIdleUsPerSecByRound: brokerIdle };
  const json = { started: started.toISOString(), seconds: Math.round(seconds), command, machine, config, points, axes: axesRun, summaries: [...summaries.values()], runs };
  await writeFile(join(results, 'scale.json'), `${JSON.stringify(json, null, 2)}\n`);
  const md = scaleFile(json);
  await writeFile(join(results, 'scale.md'), md);
  const footnote = `Medians of ${config.rounds} round(s). CPU per message: the client's process (solid) and RabbitMQ's beam.smp (dashed). Tables: bench/results/scale.md.`;
  for (const axis of axesRun) {
    await writeFile(join(results, `scale-${axis.axis}.svg`), svgChart(axisChart(axis, summaries, subtitle(info, endLoad), footnote)));
  }
  console.log(`\n${md}`);
  console.log(`Wrote bench/results/scale.json, scale.md and ${axesRun.map((a) => `scale-${a.axis}.svg`).join(', ')}`);
}

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  watchBroker(pid);
  const script = await buildChild(here);
  const admin = new AmqpAdmin(config.url);
  await admin.connect();
  const info = machineInfo(config.url, admin, join(here, '..'));
  console.log(`rx-pubsub scale: ${config.rounds} round(s) of ${points.length} points × ${SCALE_CLIENTS.length} clients${config.quick ? ' (quick)' : ''}; axes ${config.axes.join(', ')}; ${info.nproc} cores, Node ${info.node}, RabbitMQ ${info.rabbitmq}`);
  warnIfLoaded(info);
  let runs: ScaleRun[];
  try {
    runs = await runAll({ script, admin, timeoutMs: config.childTimeoutMs });
  } finally {
    await admin.close();
  }
  const summaries = summarizeScale(points, runs);
  await write(axes, summaries, runs, info, started, (performance.now() - t0) / 1000);
  if (runs.some((run) => run.error)) process.exitCode = 1;
  await rewriteDocs();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
