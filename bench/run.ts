/**
 * `npm run bench`: runs every (scenario, client) in a child process of its
 * own, interleaved round by round, and prints and writes the medians with
 * the ratio to raw amqplib measured in the same round. See README.md.
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { AmqpAdmin } from './lib/amqp-admin.js';
import { type BenchConfig, readConfig } from './lib/config.js';
import { type ChildMessage, CLOSED_PREFIX, publishWarmup, type Result, RESULT_PREFIX } from './lib/job.js';
import { type Case, plan } from './lib/plan.js';
import { markdownTable, type Row, type Run, summarize, textTable } from './lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const config = readConfig(process.argv.slice(2), process.env);
const cases = plan(config, brokerPid(config.url));
const needsBroker = cases.some((c) => c.broker !== 'none');
const tag = `rxb.${Date.now().toString(36)}`;
let serial = 0;

/**
 * RabbitMQ's process on this machine, for its CPU per message: asked of the
 * node itself (`os:getpid()`), only when the URL names this machine. Undefined
 * (the broker columns stay empty) when rabbitmqctl cannot answer.
 */
function brokerPid(url: string): number | undefined {
  if (!/^amqps?:\/\/([^@/]*@)?(127\.0\.0\.1|localhost)(:5672)?(\/|$)/.test(url)) return undefined;
  try {
    const pid = Number(execFileSync('rabbitmqctl', ['eval', 'os:getpid().'], { encoding: 'utf8', timeout: 20_000 }).trim().replace(/"/g, ''));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Children run as plain JavaScript: a TypeScript loader in them would add ~40 MB to every RSS figure. */
async function buildChild(): Promise<string> {
  const outdir = join(here, '.build');
  await rm(outdir, { recursive: true, force: true });
  await build({
    entryPoints: [join(here, 'child.ts')], outdir, outExtension: { '.js': '.mjs' },
    bundle: true, splitting: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning',
  });
  return join(outdir, 'child.mjs');
}

async function runCase(child: string, c: Case, round: number, admin: AmqpAdmin | undefined): Promise<Run> {
  const exchange = `${tag}.${++serial}.${c.scenario}.${c.client}`;
  const queue = `${exchange}.q`;
  const job = { ...c.job, exchange, queue };
  let error: string | undefined;
  let result: Result | undefined;
  try {
    if (c.broker !== 'none') {
      if (!admin) throw new Error('no broker connection');
      await admin.exchange(exchange);
      if (c.broker === 'exchange+queue') await admin.queue(queue, exchange);
    }
    result = await new Promise<Result>((resolve, reject) => {
      const proc = fork(child, [JSON.stringify(job)], { execArgv: [], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
      let stdout = '';
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`timed out after ${config.childTimeoutMs / 1000} s`));
      }, config.childTimeoutMs);
      proc.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      proc.on('message', (message: ChildMessage) => {
        if (message.type !== 'ready') return;
        // The consume scenario: fill the queue now that the child declared it, then let it start the clock.
        void (async () => {
          if (c.scenario === 'consume' && admin) {
            await admin.bind(queue, exchange);
            await admin.prefill(exchange, c.job.count);
          }
          proc.send({ type: 'go' });
        })().catch(reject);
      });
      proc.on('error', reject);
      proc.on('exit', (code, signal) => {
        clearTimeout(timer);
        const lines = stdout.split('\n');
        const line = lines.find((l) => l.startsWith(RESULT_PREFIX));
        if (!line) return reject(new Error(`exited with ${signal ?? `code ${code}`} and no result`));
        const measured = JSON.parse(line.slice(RESULT_PREFIX.length)) as Result;
        const closed = lines.find((l) => l.startsWith(CLOSED_PREFIX));
        const closeError = closed ? (JSON.parse(closed.slice(CLOSED_PREFIX.length)) as { error?: string }).error : `exited with ${signal ?? `code ${code}`} while closing`;
        resolve(closeError ? { ...measured, note: [measured.note, closeError].filter(Boolean).join('; ') } : measured);
      });
    });
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  if (c.broker !== 'none' && admin) {
    try {
      const left = await admin.remove([queue, `${queue}.dlq`], exchange);
      const expected = c.scenario === 'publish' || c.scenario === 'wire-cost' ? c.job.count + publishWarmup(c.job.count) : 0;
      if (!error && left !== expected) error = `${left} messages were left in the queue, expected ${expected}`;
    } catch (e) {
      error ??= `cleanup failed: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return error ? { round, case: c, error } : { round, case: c, result: result as Result };
}

function progress(run: Run, seconds: number): string {
  const c = run.case;
  const name = `[round ${run.round}] ${c.scenario} ${c.client}${c.variant ? ` (${c.variant})` : ''}`;
  if (!run.result) return `${name}: FAILED ${run.error}`;
  const r = run.result;
  const latency = r.p50Ms === undefined ? '' : `, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms?.toFixed(2)} ms`;
  return `${name}: ${Math.round(r.msgPerSec).toLocaleString('en-US')} msg/s, ${r.cpuUsPerMsg.toFixed(1)} µs/msg${latency}, peak RSS ${Math.round(r.peakRssMb)} MB (${seconds.toFixed(1)} s)`;
}

function machine(admin: AmqpAdmin | undefined) {
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    rabbitmq: admin ? admin.version : 'not used',
    rxPubsub: revision(),
    broker: config.url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@'),
    /** Other work on the machine skews every figure: a 1-minute load above ~1.5 on 2 cores means noisy results. */
    loadAverageAtStart: os.loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

/** The library's commit, and whether src/ had uncommitted changes when it was built. */
function revision(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: join(here, '..'), encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', 'src') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes in src/' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function markdown(rows: readonly Row[], info: ReturnType<typeof machine>, cfg: BenchConfig, seconds: number, started: Date): string {
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
  const child = await buildChild();
  const admin = needsBroker ? new AmqpAdmin(config.url) : undefined;
  await admin?.connect();
  const info = machine(admin);
  console.log(`rx-pubsub bench: ${config.rounds} round(s) of ${cases.filter((c) => !c.once).length} runs${config.quick ? ' (quick)' : ''}; ${info.nproc} cores, Node ${info.node}, RabbitMQ ${info.rabbitmq}`);
  const [load = 0] = info.loadAverageAtStart;
  if (load > info.nproc * 0.75) console.log(`Warning: load average ${load} before starting; other work on this machine will skew the figures.`);
  const runs: Run[] = [];
  for (let round = 1; round <= config.rounds; round++) {
    for (const c of cases) {
      if (c.once && round > 1) continue;
      const start = performance.now();
      const run = await runCase(child, c, round, admin);
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
