import { readFileSync } from 'node:fs';
import { performance, PerformanceObserver } from 'node:perf_hooks';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux). */
const USER_HZ = 100;
let brokerPid: number | undefined;

/** Measure the broker's CPU too, from now on: the process id of RabbitMQ's beam.smp on this machine. */
export function watchBroker(pid: number | undefined): void {
  brokerPid = pid;
}

/** The broker's user + system CPU time so far in µs, or undefined when it cannot be read (or {@link watchBroker} named none). */
export function brokerCpuUs(): number | undefined {
  if (brokerPid === undefined) return undefined;
  try {
    // Fields after the command name (which is in parentheses and may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${brokerPid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / USER_HZ;
  } catch {
    return undefined;
  }
}

/**
 * The broker's CPU while this process asks nothing of it, in µs per second,
 * over `ms`: its background work (stats, timers, other clients). At low
 * message rates it is a visible share of the broker's CPU per message
 * (3 ms/s at 100 msg/s is 30 µs/msg). Undefined when it cannot be read.
 */
export async function brokerIdleUsPerSec(ms: number): Promise<number | undefined> {
  const before = brokerCpuUs();
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = brokerCpuUs();
  return before === undefined || after === undefined ? undefined : ((after - before) * 1000) / (performance.now() - start);
}

/** What one timed section cost: wall time, throughput and the process's CPU per message. */
export interface Throughput {
  readonly messages: number;
  readonly seconds: number;
  readonly msgPerSec: number;
  /** user + system CPU of this process over the section, divided by `messages`. */
  readonly cpuUsPerMsg: number;
  /** The broker's CPU over the section ÷ `messages`, when {@link watchBroker} named it. */
  readonly brokerCpuUsPerMsg: number | undefined;
  /** Garbage-collection pauses of this process over the section (their wall time, as `gc` performance entries report it) ÷ `messages`. */
  readonly gcUsPerMsg: number;
  /** The share of the section the event loop was busy, 0..1: near 1, this process's JavaScript is the bottleneck; low, it waits on the socket or the broker. */
  readonly loopBusy: number;
}

let gcMs = 0;
let gcObserver: PerformanceObserver | undefined;

/** GC pause time of this process so far, in ms, counted from the first call on. */
function gcTotalMs(): number {
  if (!gcObserver) {
    gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) gcMs += entry.duration;
    });
    gcObserver.observe({ entryTypes: ['gc'] });
  }
  return gcMs;
}

/** Starts timing now; call the returned function with the message count when the section ends. */
export function startTimer(): (messages: number) => Throughput {
  const cpu = process.cpuUsage();
  const broker = brokerCpuUs();
  const gc = gcTotalMs();
  const loop = performance.eventLoopUtilization();
  const start = process.hrtime.bigint();
  return (messages) => {
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    const brokerNow = brokerCpuUs();
    const brokerCpuUsPerMsg = broker === undefined || brokerNow === undefined ? undefined : (brokerNow - broker) / messages;
    const gcUsPerMsg = ((gcTotalMs() - gc) * 1000) / messages;
    const loopBusy = performance.eventLoopUtilization(loop).utilization;
    return { messages, seconds, msgPerSec: messages / seconds, cpuUsPerMsg: (used.user + used.system) / messages, brokerCpuUsPerMsg, gcUsPerMsg, loopBusy };
  };
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export function rssMb(): number {
  return process.memoryUsage.rss() / (1024 * 1024);
}

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank percentiles of `samples` (sorted in place). */
export function percentiles(samples: Float64Array | number[]): Percentiles {
  const sorted = samples instanceof Float64Array ? samples.sort() : Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN };
}

/** Samples RSS every `intervalMs` until stopped; the first sample is taken at once. */
export function sampleRss(intervalMs = 1000): () => number[] {
  const samples = [rssMb()];
  const timer = setInterval(() => samples.push(rssMb()), intervalMs);
  return () => {
    clearInterval(timer);
    samples.push(rssMb());
    return samples;
  };
}
