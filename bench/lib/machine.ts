import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { AmqpAdmin } from './amqp-admin.js';

/**
 * RabbitMQ's process on this machine, for its CPU per message: asked of the
 * node itself (`os:getpid()`), only when the URL names this machine. Undefined
 * (the broker columns stay empty) when rabbitmqctl cannot answer.
 */
export function brokerPid(url: string): number | undefined {
  if (!/^amqps?:\/\/([^@/]*@)?(127\.0\.0\.1|localhost)(:5672)?(\/|$)/.test(url)) return undefined;
  try {
    const pid = Number(execFileSync('rabbitmqctl', ['eval', 'os:getpid().'], { encoding: 'utf8', timeout: 20_000 }).trim().replace(/"/g, ''));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The 1, 5 and 15-minute load averages, two decimals. */
export function loadAverage(): number[] {
  return os.loadavg().map((load) => Math.round(load * 100) / 100);
}

/** What the figures were measured on, for the results' header. */
export function machineInfo(url: string, admin: AmqpAdmin | undefined, repoDir: string) {
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    rabbitmq: admin ? admin.version : 'not used',
    rxPubsub: revision(repoDir),
    broker: url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@'),
    /** Other work on the machine skews every figure: a 1-minute load above ~1.5 on 2 cores means noisy results. */
    loadAverageAtStart: loadAverage(),
  };
}

export type MachineInfo = ReturnType<typeof machineInfo>;

/** Prints a warning when other work was running as the run started (a 1-minute load above 3/4 of the cores). */
export function warnIfLoaded(info: MachineInfo): void {
  const [load = 0] = info.loadAverageAtStart;
  if (load > info.nproc * 0.75) console.log(`Warning: load average ${load} before starting; other work on this machine will skew the figures.`);
}

/** The library's commit, and whether src/ had uncommitted changes when it was built. */
function revision(repoDir: string): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repoDir, encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', 'src') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes in src/' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}
