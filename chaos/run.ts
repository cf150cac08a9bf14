/**
 * `npm run chaos [-- flags]`: runs the chaos scenario against the local
 * RabbitMQ (or, with --cluster, the local three-node cluster) and prints its table. Exit code 0 when lost = 0, 1 when confirmed
 * events were lost (or a publish never settled), 2 when the run itself failed.
 *
 * Flags (or environment variables):
 *   --events N      CHAOS_EVENTS      events published (20000)
 *   --rate N        CHAOS_RATE        events per second (400)
 *   --cuts N        CHAOS_CUTS        connection cuts (20)
 *   --restart 0|1   CHAOS_RESTART     restart the broker application once (1)
 *   --down-ms N     CHAOS_DOWN_MS     how long the broker stays stopped (3000)
 *   --scope S       CHAOS_SCOPE       all: close_all_connections; own: only this run's connections (all)
 *   --interval A-B  CHAOS_INTERVAL_MS pause between faults, ms, drawn from [A, B] (1000-2000)
 *   --prefetch N    CHAOS_PREFETCH    each service's prefetch (32)
 *   --handler-ms N  CHAOS_HANDLER_MS  each handler call takes a random 0..N ms (2)
 *   --reconnect-ms N CHAOS_RECONNECT_MS every bus's reconnectDelayMs (300)
 *   --cluster       CHAOS_CLUSTER=1   against the local three-node cluster (scripts/rabbitmq-cluster.sh, started
 *                                     when it is not up): quorum queues, cuts on every node, --restart stops each node
 *                                     once (the one the buses are on); defaults --rate 200 --cuts 10
 *   --in-process    CHAOS_IN_PROCESS=1  both services in this process instead of child processes
 *   --verbose       CHAOS_VERBOSE=1   print every bus warning as it happens
 *   --json FILE     CHAOS_JSON        also write the whole report as JSON
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type ChaosOptions, formatReport, runChaos } from './chaos.js';
import { problems } from './report.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string' },
    rate: { type: 'string' },
    cuts: { type: 'string' },
    restart: { type: 'string' },
    'down-ms': { type: 'string' },
    scope: { type: 'string' },
    interval: { type: 'string' },
    prefetch: { type: 'string' },
    'handler-ms': { type: 'string' },
    'reconnect-ms': { type: 'string' },
    'in-process': { type: 'boolean' },
    cluster: { type: 'boolean' },
    verbose: { type: 'boolean' },
    json: { type: 'string' },
  },
});

const env = process.env;
const number = (flag: string | undefined, variable: string): number | undefined => {
  const text = flag ?? env[variable];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`${variable} / flag must be a number (got ${text})`);
  return value;
};
const flag = (given: boolean | undefined, variable: string): boolean => given ?? ['1', 'true', 'yes'].includes(env[variable] ?? '');

const abort = new AbortController();
process.once('SIGINT', () => {
  console.error('\ninterrupted: starting the broker application again and deleting the queues...');
  abort.abort();
});

const restart = values.restart ?? env.CHAOS_RESTART;
const interval = (values.interval ?? env.CHAOS_INTERVAL_MS)?.split('-').map(Number);
if (interval && (interval.length !== 2 || interval.some((n) => !Number.isFinite(n))))
  throw new Error('--interval / CHAOS_INTERVAL_MS must look like 1000-2000');
const options: ChaosOptions = {
  events: number(values.events, 'CHAOS_EVENTS'),
  ratePerSecond: number(values.rate, 'CHAOS_RATE'),
  cuts: number(values.cuts, 'CHAOS_CUTS'),
  restart: restart === undefined ? undefined : !['0', 'false', 'no'].includes(restart),
  restartDownMs: number(values['down-ms'], 'CHAOS_DOWN_MS'),
  cutScope: (values.scope ?? env.CHAOS_SCOPE) as ChaosOptions['cutScope'],
  faultIntervalMs: interval as [number, number] | undefined,
  prefetch: number(values.prefetch, 'CHAOS_PREFETCH'),
  handlerDelayMs: number(values['handler-ms'], 'CHAOS_HANDLER_MS'),
  reconnectDelayMs: number(values['reconnect-ms'], 'CHAOS_RECONNECT_MS'),
  inProcess: flag(values['in-process'], 'CHAOS_IN_PROCESS'),
  cluster: flag(values.cluster, 'CHAOS_CLUSTER'),
  verbose: flag(values.verbose, 'CHAOS_VERBOSE'),
  log: (line) => console.error(line),
  signal: abort.signal,
};

try {
  const report = await runChaos(options);
  console.log(`\n${formatReport(report)}`);
  const json = values.json ?? env.CHAOS_JSON;
  if (json) await writeFile(json, JSON.stringify(report, null, 2));
  process.exitCode = problems(report).length === 0 ? 0 : 1;
} catch (error) {
  if (abort.signal.aborted) console.error('chaos run interrupted; the broker application runs and the queues are deleted');
  else console.error('chaos run failed:', error);
  process.exitCode = 2;
}
