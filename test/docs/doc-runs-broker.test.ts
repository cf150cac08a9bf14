/**
 * The ```ts run=broker contract on the real RabbitMQ, on fixture markdown
 * (test/docs/fixtures/broker/): a block gets AMQP_URL and nothing else; a
 * block naming a fixture gets its environment, and fails when the fixture
 * finds the broker wrong after it, with the block's output.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { amqpUrl } from '../support/broker.js';
import { collectBlocks, repositoryDocs, type DocBlock } from '../support/doc-snippets.js';
import { startRuns, type Runs } from './run-blocks.js';
import { fixtures } from './run-fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RUN_TIMEOUT_MS = 20_000;
const TEST_TIMEOUT_MS = 2 * RUN_TIMEOUT_MS + 10_000;

const { blocks, errors } = collectBlocks(repositoryDocs(fileURLToPath(new URL('fixtures/broker', import.meta.url))));
const runnable = blocks.filter((block) => block.run !== undefined);
let runs: Runs | undefined;

function outcome(name: string): ReturnType<Runs['outcomeOf']> {
  const block: DocBlock | undefined = runnable.find((b) => b.name === name);
  if (block === undefined || runs === undefined) throw new Error(`no run of "${name}"`);
  return runs.outcomeOf(block);
}

beforeAll(() => {
  expect(errors).toEqual([]);
  runs = startRuns(runnable, { root: ROOT, concurrency: 2, timeoutMs: RUN_TIMEOUT_MS, amqpUrl: amqpUrl(), fixtures });
});
afterAll(async () => {
  await runs?.finish();
}, TEST_TIMEOUT_MS);

it(
  'doc runs - a run=broker block runs against the test broker with AMQP_URL',
  async () => {
    const { ok, report } = await outcome('README.md › A self-contained broker block');
    expect(report).toMatch(/settled ack amqps?\n/);
    expect(ok).toBe(true);
  },
  TEST_TIMEOUT_MS,
);

it(
  'doc runs - a run=broker fixture=NAME block gets its fixture, which checks the broker after it',
  async () => {
    const { ok, report } = await outcome('README.md › Replaying dead letters');
    expect(report).toContain('1 replayed');
    expect(ok).toBe(true);
  },
  TEST_TIMEOUT_MS,
);

it(
  'doc runs - a block that exits 0 but leaves the broker wrong fails, with its output',
  async () => {
    const { ok, report } = await outcome('README.md › Peeking is not replaying');
    expect(ok).toBe(false);
    expect(report).toMatch(
      /^README\.md:\d+: fixture "dlq-replay": the block exited 0, but the broker is not as it should be after it: .*\.dlq after the replay/,
    );
    expect(report).toContain('peeked 1');
  },
  TEST_TIMEOUT_MS,
);
