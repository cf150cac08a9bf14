/**
 * The broker's management HTTP API (plugin `rabbitmq_management`), which
 * `rx-pubsub bindings` needs: enabled by the global setup when it does not
 * answer yet, so a fresh machine needs no manual step. Idempotent and fast
 * when it is on (one HTTP request). No vitest import: the global setup loads it.
 */
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PLUGIN = 'rabbitmq_management';
const ENABLE_TIMEOUT_MS = 60_000;
const STARTUP_TIMEOUT_MS = 60_000;

/** The management API's address for the tests (credentials: those of the AMQP URL). */
export const DEFAULT_MANAGEMENT_URL = 'http://127.0.0.1:15672';

/** Enables the plugin (on the running node, or in the docker-compose broker) unless the API answers, then waits for it. */
export async function ensureManagementPlugin(managementUrl: string, amqpUrl: string, repoRoot: string): Promise<void> {
  if (await managementAnswers(managementUrl, amqpUrl)) return;
  await enablePlugin(repoRoot);
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await managementAnswers(managementUrl, amqpUrl)) return;
    await sleep(500);
  }
  throw new Error(
    `\`rabbitmq-plugins enable ${PLUGIN}\` ran, but ${managementUrl}/api/overview did not answer within ${STARTUP_TIMEOUT_MS / 1000} s`,
  );
}

/** The Basic authorization header for the AMQP URL's user (guest/guest when it names none). */
export function basicAuthOf(amqpUrl: string): string {
  const { username, password } = new URL(amqpUrl);
  const login = username === '' && password === '' ? 'guest:guest' : `${decodeURIComponent(username)}:${decodeURIComponent(password)}`;
  return `Basic ${Buffer.from(login).toString('base64')}`;
}

async function managementAnswers(managementUrl: string, amqpUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${managementUrl}/api/overview`, {
      headers: { authorization: basicAuthOf(amqpUrl) },
      signal: AbortSignal.timeout(5_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

async function enablePlugin(repoRoot: string): Promise<void> {
  try {
    await run('rabbitmq-plugins', ['enable', PLUGIN], { timeout: ENABLE_TIMEOUT_MS });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOENT')
      throw new Error(`\`rabbitmq-plugins enable ${PLUGIN}\` failed: ${String(error)}`, { cause: error });
    // No local installation: the docker-compose broker (its image has the plugin on already, so this is rare).
    await run('docker', ['compose', 'exec', '-T', 'rabbitmq', 'rabbitmq-plugins', 'enable', PLUGIN], {
      cwd: repoRoot,
      timeout: ENABLE_TIMEOUT_MS,
    });
  }
}
