/**
 * Helpers for tests against the real broker. Every resource a helper opens is
 * closed when the test finishes (`teardown`), pass or fail; broker-wide
 * disturbances (`closeAllConnections`) belong in `*.serial.test.ts` files.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import amqplib from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import { inject, onTestFinished } from 'vitest';
import { errorMessage } from './wait-for.js';

export { waitFor, type WaitForOptions } from './wait-for.js';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RABBITMQCTL_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 5_000;

/** The broker URL found by the global setup (credentials included: never log it). */
export function amqpUrl(): string {
  return inject('amqpUrl') ?? process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
}

/** A queue or exchange name no other test (or earlier run) uses: `t-<prefix>-<12 hex>`. */
export function uniqueName(prefix: string): string {
  return `t-${prefix}-${randomBytes(6).toString('hex')}`;
}

/**
 * Runs `fn` when the current test finishes, pass or fail; the last registered
 * runs first, so a channel closes before its connection. Call it inside a test
 * (not in a `beforeEach`: close those resources in `afterEach`).
 */
export function teardown(fn: () => unknown): void {
  onTestFinished(async () => {
    await fn();
  });
}

/** A plain amqplib connection, closed at the end of the test. */
export async function rawConnection(): Promise<ChannelModel> {
  const connection = await amqplib.connect(amqpUrl(), { timeout: CONNECT_TIMEOUT_MS });
  // Without a listener, a broker-side close (close_all_connections) would be an
  // uncaught 'error' event; tests observe 'close' or a rejected call instead.
  connection.on('error', () => {});
  teardown(() => closeQuietly(connection));
  return connection;
}

/**
 * A plain amqplib channel on `connection` (default: a new `rawConnection()`).
 * A channel error (404, 406...) rejects the pending call and closes the
 * channel; it is not re-thrown as an 'error' event.
 */
export async function rawChannel(connection?: ChannelModel): Promise<Channel> {
  const channel = await (connection ?? (await rawConnection())).createChannel();
  channel.on('error', () => {});
  teardown(() => closeQuietly(channel));
  return channel;
}

/** Deletes the queues (missing ones are fine), on a connection of its own. */
export async function deleteQueues(...names: string[]): Promise<void> {
  await withTemporaryChannel(async (channel) => {
    for (const name of names) await channel.deleteQueue(name);
  });
}

/** Deletes the exchange (a missing one is fine), on a connection of its own. */
export async function deleteExchange(name: string): Promise<void> {
  await withTemporaryChannel(async (channel) => {
    await channel.deleteExchange(name);
  });
}

/**
 * Runs `rabbitmqctl <args>` and returns its stdout; fails after 30 s. Where
 * `rabbitmqctl` is not installed, runs it inside the docker-compose broker.
 */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  try {
    return await runCli('rabbitmqctl', args);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    return runCli('docker', ['compose', 'exec', '-T', 'rabbitmq', 'rabbitmqctl', ...args]);
  }
}

/** Cuts every client connection on the broker (the bus under test included). Serial tests only. */
export async function closeAllConnections(): Promise<void> {
  await rabbitmqctl('close_all_connections', 'test');
}

export interface QueueInfo {
  name: string;
  /** Ready plus unacknowledged messages. */
  messages: number;
  consumers: number;
}

/** The broker's queues, as `rabbitmqctl list_queues` sees them. */
export async function listQueues(): Promise<QueueInfo[]> {
  const stdout = await rabbitmqctl('list_queues', 'name', 'messages', 'consumers', '--formatter', 'json', '--quiet');
  const rows: unknown = JSON.parse(stdout);
  if (!Array.isArray(rows)) throw new Error(`rabbitmqctl list_queues printed no JSON array:\n${stdout}`);
  return rows.map((row: unknown): QueueInfo => {
    if (typeof row !== 'object' || row === null || !('name' in row)) {
      throw new Error(`rabbitmqctl list_queues printed an unexpected row: ${JSON.stringify(row)}`);
    }
    const { name, messages, consumers } = row as { name: unknown; messages?: unknown; consumers?: unknown };
    return { name: String(name), messages: Number(messages ?? 0), consumers: Number(consumers ?? 0) };
  });
}

async function withTemporaryChannel(work: (channel: Channel) => Promise<void>): Promise<void> {
  const connection = await amqplib.connect(amqpUrl(), { timeout: CONNECT_TIMEOUT_MS });
  connection.on('error', () => {});
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    await work(channel);
  } finally {
    await closeQuietly(connection);
  }
}

/** Closes a connection or channel; one the broker or the test already closed is fine. */
async function closeQuietly(resource: { close(): Promise<void> }): Promise<void> {
  try {
    await resource.close();
  } catch (error) {
    if (!(error instanceof amqplib.IllegalOperationError)) throw error;
  }
}

async function runCli(command: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd: REPO_ROOT, timeout: RABBITMQCTL_TIMEOUT_MS });
    return stdout;
  } catch (error) {
    if (isNotFound(error)) throw error;
    const commandLine = `\`${command} ${args.join(' ')}\``;
    if (typeof error === 'object' && error !== null && 'killed' in error && error.killed === true) {
      throw new Error(`${commandLine} timed out after ${RABBITMQCTL_TIMEOUT_MS / 1000} s`, { cause: error });
    }
    const stderr = hasString(error, 'stderr') ? error.stderr.trim() : '';
    throw new Error(`${commandLine} failed: ${stderr || errorMessage(error)}`, { cause: error });
  }
}

function isNotFound(error: unknown): boolean {
  return hasString(error, 'code') && error.code === 'ENOENT';
}

function hasString<K extends string>(value: unknown, key: K): value is Record<K, string> {
  return typeof value === 'object' && value !== null && key in value && typeof (value as Record<K, unknown>)[key] === 'string';
}
