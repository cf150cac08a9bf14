/**
 * A replay killed with SIGKILL part-way (a child process, so nothing of it
 * runs after the kill: no teardown, no unsubscribe, no flush), then run
 * again to the end: every dead letter reaches the service queue at least
 * once, Q.dlq ends empty, and the duplicates stay within the confirm window.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { amqpUrl, brokerView, registerCleanup, teardown, uniqueName, waitFor } from '../support/bus.js';
import { declareQueue, fillDeadLetters, openDeadLetters } from '../support/dead-letters.js';

const SRC = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COUNT = 2_000;
const WINDOW = 100;
const KILL_AFTER = 500;

/** Runs a replay of `queue`'s dead letters in a child process and SIGKILLs it once it reported `KILL_AFTER` replayed. */
async function replayKilledPartWay(queue: string): Promise<number> {
  const script = join(tmpdir(), `${uniqueName('dlq-replay-child')}.mts`);
  writeFileSync(
    script,
    `import { deadLetters } from ${JSON.stringify(SRC)};
const dlq = deadLetters({ url: process.env.AMQP_URL, queue: process.env.QUEUE });
dlq.replay({ window: ${WINDOW} }).subscribe({
  next: (progress) => console.log(JSON.stringify(progress)),
  error: (error) => { console.error(error.message); process.exit(2); },
  complete: () => process.exit(3),
});
`,
  );
  // Node itself with tsx as a loader: the `tsx` command is a wrapper whose node child would outlive a SIGKILL sent to it.
  teardown(() => rmSync(script, { force: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: REPO_ROOT,
    env: { ...process.env, AMQP_URL: amqpUrl(), QUEUE: queue },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  teardown(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let replayed = 0;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for await (const line of createInterface({ input: child.stdout })) {
    replayed = (JSON.parse(line) as { replayed: number }).replayed;
    if (replayed >= KILL_AFTER) {
      child.kill('SIGKILL');
      break;
    }
  }
  const code = await exited;
  expect(code, `the child should have been killed, not exited (stderr: ${stderr})`).toBeNull();
  return replayed;
}

describe('dead letters API - interrupted replay (amqp)', () => {
  it(`replay - SIGKILLed part-way through ${COUNT} dead letters, then run again: each reaches the service queue at least once, Q.dlq ends empty, duplicates ≤ the window`, async () => {
    const url = amqpUrl();
    registerCleanup(url);
    const queue = uniqueName('dla-kill');
    await declareQueue(url, queue);
    await declareQueue(url, `${queue}.dlq`);
    const events = await fillDeadLetters(url, `${queue}.dlq`, COUNT);
    const view = await brokerView(url);

    const reported = await replayKilledPartWay(queue);
    expect(reported).toBeGreaterThanOrEqual(KILL_AFTER);
    // The broker gives back what the dead connection held once it notices the close.
    await waitFor(async () => (await view.depth(`${queue}.dlq`)) + (await view.depth(queue)) >= COUNT, {
      description: 'every dead letter back in Q.dlq or copied to the service queue',
    });
    const dlq = openDeadLetters({ url, queue });
    // What the kill left in Q.dlq is still in its original order.
    const left = (await dlq.peek({ limit: COUNT })).map((e) => e.messageId);
    expect(left.length).toBeLessThanOrEqual(COUNT - reported);
    const order = new Map(events.map((event, index) => [event.id, index]));
    expect(left.map((id) => order.get(id ?? '') ?? -1)).toEqual(left.map((id) => order.get(id ?? '') ?? -1).sort((a, b) => a - b));

    expect(await lastValueFrom(dlq.replay({ window: WINDOW }))).toMatchObject({ replayed: left.length, failed: 0 });
    expect(await view.depth(`${queue}.dlq`)).toBe(0);
    const replayed = (await view.take(queue)).map((m) => m.properties.messageId);
    expect(new Set(replayed)).toEqual(new Set(events.map((e) => e.id)));
    expect(replayed.length - COUNT).toBeLessThanOrEqual(WINDOW);
  }, 60_000);
});
