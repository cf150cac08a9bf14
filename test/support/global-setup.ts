import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import amqplib from 'amqplib';
import type { TestProject } from 'vitest/node';
import { redactUrl } from '../../src/redact-url.js';
import { DEFAULT_MANAGEMENT_URL, ensureManagementPlugin } from './management-plugin.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The broker every broker test connects to (credentials included). */
    amqpUrl: string;
    /** Its management HTTP API (`rx-pubsub bindings` needs it); credentials: those of amqpUrl. */
    managementUrl: string;
  }
}

const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';
const CONNECT_TIMEOUT_MS = 2_000;
const STARTUP_TIMEOUT_MS = 60_000;
// The first `docker compose up` pulls the image, which takes a while.
const COMPOSE_UP_TIMEOUT_MS = 300_000;

const run = promisify(execFile);

/**
 * Vitest global setup: makes sure a RabbitMQ broker answers before any test
 * runs, starting the docker-compose one when Docker is available, and hands
 * its URL to the tests (`inject('amqpUrl')`, and `process.env.AMQP_URL`).
 * It never skips: without a broker the run fails and says how to start one.
 */
export default async function setup(project: TestProject): Promise<void> {
  const url = process.env.AMQP_URL ?? DEFAULT_AMQP_URL;
  if (!(await brokerAnswers(url))) {
    if (!(await dockerIsAvailable())) throw noBrokerError(url);
    await startComposeBroker(project.config.root, url);
  }
  project.provide('amqpUrl', url);
  process.env.AMQP_URL = url;
  const managementUrl = process.env.RABBITMQ_MANAGEMENT_URL ?? DEFAULT_MANAGEMENT_URL;
  await ensureManagementPlugin(managementUrl, url, project.config.root);
  project.provide('managementUrl', managementUrl);
}

async function brokerAnswers(url: string): Promise<boolean> {
  try {
    const connection = await amqplib.connect(url, { timeout: CONNECT_TIMEOUT_MS });
    connection.on('error', () => {}); // a close handshake error is still an answer
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

async function dockerIsAvailable(): Promise<boolean> {
  try {
    // Fails when `docker` is not on PATH and when no engine answers.
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

async function startComposeBroker(repoRoot: string, url: string): Promise<void> {
  console.info(`No broker at ${redactUrl(url)}: starting one with \`docker compose up -d\`...`);
  try {
    await run('docker', ['compose', 'up', '-d'], { cwd: repoRoot, timeout: COMPOSE_UP_TIMEOUT_MS });
  } catch (error) {
    throw new Error(`\`docker compose up -d\` failed in ${repoRoot}:\n${outputOf(error)}`, { cause: error });
  }
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await brokerAnswers(url)) return;
    await sleep(1_000);
  }
  throw new Error(
    `\`docker compose up -d\` started RabbitMQ, but ${redactUrl(url)} did not accept connections ` +
      `within ${STARTUP_TIMEOUT_MS / 1000} s. See \`docker compose logs rabbitmq\`.`,
  );
}

function noBrokerError(url: string): Error {
  return new Error(
    [
      `The broker tests need RabbitMQ, and none answers at ${redactUrl(url)}.`,
      'Start one, then run the tests again:',
      '  docker compose up -d          (from the repository root; management UI on http://localhost:15672)',
      '  rabbitmq-server -detached     (a local installation)',
      'or point AMQP_URL at a running broker.',
    ].join('\n'),
  );
}

function outputOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'stderr' in error && typeof error.stderr === 'string') {
    return error.stderr.trim();
  }
  return String(error);
}
