/**
 * README.md and docs/ blocks fenced ```ts run or ```ts run=broker are run, not
 * only type-checked: each as its own process, which must exit 0 before its
 * deadline. ```ts run blocks get no AMQP_URL (memory://); ```ts run=broker
 * blocks get the test broker's AMQP_URL and nothing else, so they choose
 * unique names and clean up themselves, unless the fence names a fixture
 * (```ts run=broker fixture=NAME, test/docs/run-fixtures.ts). Two run at a time
 * (the machine has two cores); each test awaits its own block's run.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { amqpUrl } from '../support/broker.js';
import { collectBlocks, repositoryDocs } from '../support/doc-snippets.js';
import { startRuns, type Runs } from './run-blocks.js';
import { fixtures } from './run-fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RUN_TIMEOUT_MS = 20_000;
/** A block's fixture and checks, on top of its run. */
const FIXTURE_MS = 10_000;

const { blocks } = collectBlocks(repositoryDocs(ROOT));
const runnable = blocks.filter((block) => block.run !== undefined && !block.ignore);
let runs: Runs | undefined;

beforeAll(() => {
  runs = startRuns(runnable, { root: ROOT, concurrency: 2, timeoutMs: RUN_TIMEOUT_MS, amqpUrl: amqpUrl(), fixtures });
});
afterAll(
  async () => {
    await runs?.finish();
  },
  RUN_TIMEOUT_MS * 2 + FIXTURE_MS,
);

it('docs - every fixture in run-fixtures.ts is named by a ```ts run=broker fixture=NAME block', () => {
  const named = new Set(runnable.map((block) => block.fixture));
  expect(Object.keys(fixtures).filter((name) => !named.has(name))).toEqual([]);
});

// In the pool's order: when a test starts, every block before its own has
// settled, so its wait is its own run (and fixture), never the queue's.
for (const block of runnable) {
  it(
    `${block.name} (run${block.run === 'broker' ? '=broker' : ''})`,
    async () => {
      if (runs === undefined) throw new Error('the runs did not start');
      const { ok, report } = await runs.outcomeOf(block);
      if (!ok) throw new Error(report);
    },
    RUN_TIMEOUT_MS * 2 + FIXTURE_MS,
  );
}
