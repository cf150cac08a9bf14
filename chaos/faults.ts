/**
 * What the chaos run does to the broker, through `rabbitmqctl` on the local
 * node: cut connections, restart the broker application, read queue depths.
 * Where `rabbitmqctl` is not installed it runs inside the docker-compose broker.
 */
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import amqplib from 'amqplib';

const run = promisify(execFile);
const RABBITMQCTL_TIMEOUT_MS = 120_000;
/** The explanation the broker sends with each forced close. */
const REASON = 'chaos';

/** Which connections a cut closes: all of the broker's, or only those whose name starts with the run's prefix. */
export type CutScope = 'all' | 'own';

/** One fault, as it happened. Times are `Date.now()` values. */
export interface Fault {
  /** `node-stop`: one node of a cluster stopped and started again (a `restart` of that node). */
  readonly kind: 'cut' | 'restart' | 'node-stop';
  /** For a node-stop: the node. */
  readonly node?: string;
  /** When the command was issued. */
  readonly startedAt: number;
  /** When the broker was available again: the cut command returned, or `start_app` did. */
  readonly endedAt: number;
  /** For a restart: when `stop_app` returned. */
  readonly stoppedAt?: number;
}

/** Runs `rabbitmqctl <args>` and returns its stdout. */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  try {
    return (await run('rabbitmqctl', args, { timeout: RABBITMQCTL_TIMEOUT_MS })).stdout;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT') throw describe(error, `rabbitmqctl ${args.join(' ')}`);
  }
  try {
    const docker = ['compose', 'exec', '-T', 'rabbitmq', 'rabbitmqctl', ...args];
    return (await run('docker', docker, { timeout: RABBITMQCTL_TIMEOUT_MS })).stdout;
  } catch (error) {
    throw describe(error, `docker compose exec rabbitmq rabbitmqctl ${args.join(' ')}`);
  }
}

/** Closes the client connections in scope, at once, on each node given (default: the local node); resolves when they are closed. */
export async function cutConnections(
  scope: CutScope,
  namePrefix: string,
  nodes: readonly (string | undefined)[] = [undefined],
): Promise<Fault> {
  const startedAt = Date.now();
  await Promise.all(
    nodes.map((node) =>
      scope === 'all'
        ? rabbitmqctl(...on(node), 'close_all_connections', REASON)
        : rabbitmqctl(...on(node), 'eval', closeOwnConnections(namePrefix)),
    ),
  );
  return { kind: 'cut', startedAt, endedAt: Date.now() };
}

/** `-n NODE` for rabbitmqctl, or nothing for the local node. */
function on(node: string | undefined): string[] {
  return node === undefined ? [] : ['-n', node];
}

/** `stop_app`, `downMs` of nothing, `start_app`. Always tries `start_app`, even when `stop_app` failed. */
export async function restartBroker(downMs: number): Promise<Fault> {
  const startedAt = Date.now();
  let stoppedAt = startedAt;
  try {
    await rabbitmqctl('stop_app');
    stoppedAt = Date.now();
    await sleep(downMs);
  } finally {
    await rabbitmqctl('start_app');
  }
  return { kind: 'restart', startedAt, stoppedAt, endedAt: Date.now() };
}

/** Starts the broker application if it is stopped (a no-op when it runs): the last word of every run. */
export async function ensureBrokerStarted(): Promise<void> {
  await rabbitmqctl('start_app');
  await rabbitmqctl('await_startup');
}

export interface QueueInfo {
  /** Ready plus unacknowledged. */
  readonly messages: number;
  readonly consumers: number;
}

/** Messages and consumers per queue, for the queues named (asking `node`, default the local one). Missing queues are left out. */
export async function queueInfo(names: readonly string[], node?: string): Promise<Map<string, QueueInfo>> {
  const stdout = await rabbitmqctl(...on(node), 'list_queues', 'name', 'messages', 'consumers', '--formatter', 'json', '--quiet');
  const rows = JSON.parse(stdout) as { name: string; messages?: number; consumers?: number }[];
  const wanted = new Set(names);
  return new Map(
    rows
      .filter((row) => wanted.has(row.name))
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- the management API's JSON is typed, not checked
      .map((row) => [row.name, { messages: Number(row.messages ?? 0), consumers: Number(row.consumers ?? 0) }]),
  );
}

/** Open channels per client connection whose name starts with `prefix` (a leak shows as more than expected). */
export async function channelsByConnection(prefix: string, node?: string): Promise<Map<string, number>> {
  const stdout = await rabbitmqctl(...on(node), 'list_connections', 'client_properties', 'channels', '--formatter', 'json', '--quiet');
  const rows = JSON.parse(stdout) as { client_properties?: [string, string, unknown][]; channels?: number }[];
  const result = new Map<string, number>();
  for (const row of rows) {
    const name = row.client_properties?.find(([key]) => key === 'connection_name')?.[2];
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- the management API's JSON is typed, not checked
    if (typeof name === 'string' && name.startsWith(prefix)) result.set(name, (result.get(name) ?? 0) + Number(row.channels ?? 0));
  }
  return result;
}

/** Deletes queues and an exchange (missing ones are fine) on a short-lived connection of its own. */
export async function deleteTopology(url: string, queues: readonly string[], exchange: string): Promise<void> {
  const connection = await amqplib.connect(url, { timeout: 10_000 });
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
    await channel.deleteExchange(exchange);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

// The Erlang for "close every connection whose client-given name starts with prefix", in one CLI call
// so that the connections go down together, as with close_all_connections.
function closeOwnConnections(prefix: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) throw new Error(`connection name prefix must be a plain word (got ${prefix})`);
  return `
    Prefix = <<"${prefix}">>,
    Mine = fun(Pid) ->
      case catch rabbit_networking:connection_info(Pid, [client_properties]) of
        [{client_properties, Props}] ->
          case lists:keyfind(<<"connection_name">>, 1, Props) of
            {_, longstr, Name} -> binary:longest_common_prefix([Name, Prefix]) =:= byte_size(Prefix);
            _ -> false
          end;
        _ -> false
      end
    end,
    Pids = [Pid || Pid <- rabbit_networking:connections(), Mine(Pid)],
    [rabbit_networking:close_connection(Pid, "${REASON}") || Pid <- Pids],
    length(Pids).`;
}

function describe(error: unknown, command: string): Error {
  const stderr = (error as { stderr?: unknown }).stderr;
  const detail = typeof stderr === 'string' && stderr.trim() !== '' ? stderr.trim() : String(error);
  return new Error(`\`${command}\` failed: ${detail}`, { cause: error });
}
