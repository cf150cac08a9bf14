import type { AmqpAdmin } from './amqp-admin.js';
import { type Child, startChild } from './child-process.js';
import type { ChildMessage, Job, Result } from './job.js';
import { brokerCpuUs } from './measure.js';

/** Where children run from, and what talks to the broker for them. */
export interface RunContext {
  /** The bundled child script (`buildChild`). */
  readonly script: string;
  /** Declares, pre-fills and deletes; undefined when no run needs RabbitMQ. */
  readonly admin: AmqpAdmin | undefined;
  readonly timeoutMs: number;
}

/** One measurement: a job, in one child process or several on one queue. */
export interface JobSpec {
  readonly job: Job;
  /** What the runner declares before the children start: an rx-pubsub bus that consumes declares its own queue. */
  readonly broker: 'none' | 'exchange' | 'exchange+queue';
  /** Pre-fill the queue with `job.count` events once every child said it is ready (consume scenarios). */
  readonly prefill: boolean;
  /** How many messages the queue must still hold at the end: what a publish run sent, 0 after a consume run. */
  readonly expectedLeft: number;
  /** `shared-consume`: this many consumer processes on the queue. @default 1 */
  readonly processes?: number;
}

/** The figures, or why there are none. */
export type JobOutcome = { readonly result: Result; readonly error?: undefined } | { readonly result?: undefined; readonly error: string };

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Declares what the job's children need, runs them (pre-filling the queue
 * once they are ready, then saying go), and deletes the exchange and queues
 * afterwards, checking what was left in them: a run that leaves the wrong
 * number of messages failed, whatever it measured.
 */
export async function runJob(ctx: RunContext, spec: JobSpec): Promise<JobOutcome> {
  const { job, broker } = spec;
  let error: string | undefined;
  let result: Result | undefined;
  try {
    if (broker !== 'none') {
      if (!ctx.admin) throw new Error('no broker connection');
      await ctx.admin.exchange(job.exchange);
      if (broker === 'exchange+queue') await ctx.admin.queue(job.queue, job.exchange, job.queueType);
    }
    result = job.scenario === 'shared-consume' ? await runGroup(ctx, spec) : await runOne(ctx, spec);
  } catch (e) {
    error = messageOf(e);
  }
  if (broker !== 'none' && ctx.admin) {
    try {
      const exact = job.queueType === 'quorum' ? [job.queue] : [];
      const left = await ctx.admin.remove([job.queue, `${job.queue}.dlq`], job.exchange, exact);
      if (!error && left !== spec.expectedLeft) error = `${left} messages were left in the queue, expected ${spec.expectedLeft}`;
    } catch (e) {
      error ??= `cleanup failed: ${messageOf(e)}`;
    }
  }
  return error === undefined && result ? { result } : { error: error ?? 'no result' };
}

/** Binds the queue (a bus declared it without the benchmark's key) and fills it, untimed. */
async function fill(ctx: RunContext, job: Job): Promise<void> {
  if (!ctx.admin) return;
  await ctx.admin.bind(job.queue, job.exchange);
  await ctx.admin.prefill(job.exchange, job.count, job.eventBytes);
}

/** One child, which times itself. */
async function runOne(ctx: RunContext, spec: JobSpec): Promise<Result> {
  let failure: unknown;
  const child = startChild(ctx.script, spec.job, ctx.timeoutMs, (message) => {
    if (message.type !== 'ready') return;
    void (spec.prefill ? fill(ctx, spec.job) : Promise.resolve()).then(
      () => child.send({ type: 'go' }),
      (e: unknown) => {
        failure = new Error(`pre-fill failed: ${messageOf(e)}`);
        child.kill();
      },
    );
  });
  try {
    return await child.result;
  } catch (e) {
    throw failure ?? e;
  }
}

/**
 * `processes` consumers of one queue, each in a child of its own. Once all
 * are ready the queue is filled and they all get go; they report their acks
 * every 10 ms, and once those add up to the backlog they are told to stop.
 * Throughput runs from the earliest start of consuming to the latest ack
 * (wall-clock times the children report); CPU per message adds up every
 * child's CPU; the broker's is read here, from go until the acks added up.
 */
async function runGroup(ctx: RunContext, spec: JobSpec): Promise<Result> {
  const n = spec.processes ?? 1;
  const acked = new Array<number>(n).fill(0);
  let ready = 0;
  let broker: { start?: number; end?: number } = {};
  let stopped = false;
  let failure: unknown;
  const children: Child[] = [];
  const go = async (): Promise<void> => {
    await fill(ctx, spec.job);
    broker = { start: brokerCpuUs() };
    for (const child of children) child.send({ type: 'go' });
  };
  const onMessage = (i: number) => (message: ChildMessage): void => {
    if (message.type === 'ready' && ++ready === n) {
      go().catch((e: unknown) => {
        failure = new Error(`pre-fill failed: ${messageOf(e)}`);
        for (const child of children) child.kill();
      });
    } else if (message.type === 'progress') {
      acked[i] = message.acked;
      if (stopped || acked.reduce((a, b) => a + b, 0) < spec.job.count) return;
      stopped = true;
      broker.end = brokerCpuUs();
      for (const child of children) child.send({ type: 'stop' });
    }
  };
  for (let i = 0; i < n; i++) children.push(startChild(ctx.script, spec.job, ctx.timeoutMs, onMessage(i)));
  let results: Result[];
  try {
    results = await Promise.all(children.map((child) => child.result));
  } catch (e) {
    for (const child of children) child.kill();
    throw failure ?? e;
  }
  return combine(spec.job.count, results, broker);
}

/** The group's figures from its children's. */
function combine(count: number, results: readonly Result[], broker: { start?: number; end?: number }): Result {
  const messages = results.reduce((sum, r) => sum + r.messages, 0);
  if (messages !== count) throw new Error(`the consumers acked ${messages} of ${count} deliveries`);
  const start = Math.min(...results.map((r) => r.startedAtMs ?? Infinity));
  const end = Math.max(...results.map((r) => r.lastAckAtMs ?? -Infinity));
  const seconds = (end - start) / 1000;
  const cpuUs = results.reduce((sum, r) => sum + (r.cpuUs ?? r.cpuUsPerMsg * r.messages), 0);
  const gcUs = results.reduce((sum, r) => sum + (r.gcUsPerMsg ?? 0) * Math.max(r.messages, 1), 0);
  const brokerCpuUsPerMsg = broker.start === undefined || broker.end === undefined ? undefined : (broker.end - broker.start) / count;
  return {
    messages,
    seconds,
    msgPerSec: messages / seconds,
    cpuUsPerMsg: cpuUs / count,
    brokerCpuUsPerMsg,
    gcUsPerMsg: gcUs / count,
    // The busiest consumer's loop: when one of them is saturated, more processes are what helps.
    loopBusy: Math.max(...results.map((r) => r.loopBusy ?? 0)),
    peakRssMb: Math.max(...results.map((r) => r.peakRssMb)),
    perProcess: results.map((r) => r.messages),
    // A child that failed while closing says so in its note; keep it.
    note: [...new Set(results.flatMap((r) => (r.note ? [r.note] : [])))].join('; ') || undefined,
  };
}
