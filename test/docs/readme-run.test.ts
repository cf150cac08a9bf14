/**
 * README.md blocks fenced as ```ts run or ```ts run=broker are run, not only
 * type-checked: each in a child process (`tsx`, 'rx-pubsub' mapped to src/ as
 * in readme.test.ts), which must exit 0 within RUN_TIMEOUT_MS.
 *
 * - ```ts run: self-contained, on memory://; AMQP_URL is removed from its
 *   environment, so `process.env.AMQP_URL ?? 'memory://...'` stays in memory.
 * - ```ts run=broker: against the test broker (AMQP_URL). Each has a fixture
 *   below, keyed by the block's README heading, that prepares the broker, gives
 *   the block its environment (unique queue names) and checks the broker after.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterHeader, RxPubsubHeader, createEvent } from '../../src/index.js';
import { encodeEvent, JSON_CONTENT_TYPE } from '../../src/blocks.js';
import { amqpUrl, deleteQueues, rawConnection, teardown, uniqueName } from '../support/broker.js';
import { extractSnippets, type Snippet } from '../support/readme-snippets.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
// A dot directory of its own: readme.test.ts clears test/.readme-snippets when it loads.
const RUN_DIR = join(REPO_ROOT, 'test', `.readme-run-${randomBytes(4).toString('hex')}`);
const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const RUN_TIMEOUT_MS = 20_000;

/** What a fixture gives a broker block: its environment, and the check of the broker afterwards. */
interface Prepared {
  env: Record<string, string>;
  verify(): Promise<void>;
}

/** Prepares the broker for one run of a ```ts run=broker block; cleans up with `teardown`. */
type Fixture = () => Promise<Prepared>;

const fixtures: Record<string, Fixture> = {
  // The dead-letter replay (deadLetters().replay()): one message waits in a fresh
  // `<queue>.dlq`; after the block ran, the DLQ is empty and the service queue
  // holds it exactly once, without the attempts header (a fresh retry budget),
  // counted as replayed once.
  'The headers of a copy': async () => {
    const queue = uniqueName('readme-replay');
    const deadLetters = `${queue}.dlq`;
    teardown(() => deleteQueues(queue, deadLetters));
    const connection = await rawConnection();
    const channel = await connection.createConfirmChannel();
    // The topology the bus declares: `Q.dlq`, and `Q` naming it as its dead-letter target.
    await channel.assertQueue(deadLetters, { durable: true });
    await channel.assertQueue(queue, {
      durable: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': deadLetters },
    });
    const event = createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1' } });
    const body = encodeEvent(event);
    channel.sendToQueue(deadLetters, body, {
      persistent: true,
      contentType: JSON_CONTENT_TYPE,
      messageId: event.id,
      type: 'order.created',
      headers: {
        [DeadLetterHeader.ERROR]: 'order.*: payment provider down',
        [DeadLetterHeader.PATTERNS]: 'order.*',
        [DeadLetterHeader.ATTEMPTS]: 3,
        [DeadLetterHeader.HISTORY]: '3: order.*: payment provider down',
        [DeadLetterHeader.ROUTING_KEY]: 'order.created',
      },
    });
    await channel.waitForConfirms();

    return {
      env: { QUEUE: queue },
      async verify() {
        const { messageCount: leftInDlq } = await channel.checkQueue(deadLetters);
        expect(leftInDlq, `${deadLetters} after the replay`).toBe(0);
        const { messageCount: inQueue } = await channel.checkQueue(queue);
        expect(inQueue, `${queue} after the replay`).toBe(1);
        const replayed = await channel.get(queue, { noAck: true });
        if (replayed === false) throw new Error(`${queue} holds no message to get`);
        expect(replayed.content.equals(body)).toBe(true);
        expect(replayed.properties.messageId).toBe(event.id);
        expect(replayed.properties.headers?.[DeadLetterHeader.ROUTING_KEY]).toBe('order.created');
        expect(replayed.properties.headers).not.toHaveProperty(DeadLetterHeader.ATTEMPTS);
        expect(replayed.properties.headers?.[RxPubsubHeader.REPLAYED]).toBe(1);
        expect(replayed.properties.headers?.[DeadLetterHeader.HISTORY]).toBe('3: order.*: payment provider down');
      },
    };
  },
};

const exec = promisify(execFile);

/** Runs a snippet file with tsx; rejects with its output when it fails or hangs. */
async function runSnippet(snippet: Snippet, env: NodeJS.ProcessEnv): Promise<string> {
  const file = join(RUN_DIR, `run-line-${snippet.fenceLine}.ts`);
  writeFileSync(file, `${snippet.code}\n`);
  try {
    const { stdout } = await exec(TSX, ['--tsconfig', join(RUN_DIR, 'tsconfig.json'), file], {
      cwd: REPO_ROOT,
      env,
      timeout: RUN_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const e = error as { killed?: boolean; code?: unknown; stdout?: unknown; stderr?: unknown };
    const why = e.killed === true ? `did not exit within ${RUN_TIMEOUT_MS / 1000} s` : `exited with ${String(e.code)}`;
    throw new Error(
      `the \`\`\`ts run block under "${snippet.key}" (README.md:${snippet.fenceLine}) ${why}\n` +
        `stdout:\n${String(e.stdout)}\nstderr:\n${String(e.stderr)}`,
      { cause: error },
    );
  }
}

function memoryEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.AMQP_URL;
  return env;
}

const snippets = extractSnippets(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
const runnable = snippets.filter((s) => s.run !== undefined);
const brokerKeys = new Set(runnable.filter((s) => s.run === 'broker').map((s) => s.key));

describe('readme (run)', () => {
  beforeAll(() => {
    mkdirSync(RUN_DIR, { recursive: true });
    writeFileSync(
      join(RUN_DIR, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          paths: { 'rx-pubsub': ['../../src/index.ts'], 'rx-pubsub/testing': ['../../src/testing/index.ts'], 'rx-pubsub/blocks': ['../../src/blocks.ts'] },
        },
      }),
    );
  });
  afterAll(() => {
    rmSync(RUN_DIR, { recursive: true, force: true });
  });

  it('readme - every ```ts run=broker block has a fixture, and every fixture a block', () => {
    expect([...brokerKeys].sort()).toEqual(Object.keys(fixtures).sort());
  });

  for (const snippet of runnable) {
    it(`readme - the ts snippet under "${snippet.key}" (README.md:${snippet.fenceLine}) runs (${snippet.run ?? ''})`, async () => {
      if (snippet.run === 'memory') {
        await runSnippet(snippet, memoryEnv());
        return;
      }
      const fixture = fixtures[snippet.key];
      if (fixture === undefined) throw new Error(`no fixture for the run=broker block under "${snippet.key}"`);
      const prepared = await fixture();
      await runSnippet(snippet, { ...process.env, AMQP_URL: amqpUrl(), ...prepared.env });
      await prepared.verify();
    }, 30_000);
  }
});
