/**
 * Every ```ts / ```typescript block of README.md and docs/**\/*.md (but
 * docs/api/, TypeDoc's output) must compile against src/ as a user would
 * write it: `import { EventBus } from 'rx-pubsub-amqp'`. One tsc run checks
 * them all; each block is then a test named by its file and heading
 * (`docs/guide/handlers.md › Retrying a failed delivery`, ` #2` for the
 * second block under it), and a failure names its markdown line. The fence
 * contract is in test/support/doc-snippets.ts.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { collectBlocks, repositoryDocs } from '../support/doc-snippets.js';
import { typeCheckBlocks, type TypeCheckResult } from './type-check-blocks.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC_TIMEOUT_MS = 90_000;

const { blocks, errors } = collectBlocks(repositoryDocs(ROOT));
const compiled = blocks.filter((block) => !block.ignore);
let result: TypeCheckResult = { errorsOf: () => [], elsewhere: [] };

beforeAll(async () => {
  if (compiled.length > 0) result = await typeCheckBlocks(ROOT, compiled, TSC_TIMEOUT_MS);
}, TSC_TIMEOUT_MS + 5_000);

it('docs - README.md and docs/ exist, hold ```ts blocks, and close every fence', () => {
  expect(errors).toEqual([]);
});

for (const block of blocks.filter((b) => !b.ignore || b.problems.length > 0)) {
  it(block.name, () => {
    const found = [...block.problems, ...result.errorsOf(block)];
    expect(found, `the \`\`\`ts block at ${block.file}:${block.fenceLine} does not compile`).toEqual([]);
  });
}

it('docs - type-checking the blocks reports nothing outside them (src/, the tsconfig)', () => {
  expect(result.elsewhere).toEqual([]);
});
