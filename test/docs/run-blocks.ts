/**
 * Runs the ```ts run / run=broker blocks, at most `concurrency` at a time, each
 * with its deadline: memory blocks without AMQP_URL (so `process.env.AMQP_URL
 * ?? 'memory://...'` stays in memory), broker blocks with it, after their
 * fixture if the fence names one. Every outcome is a value (never a rejected
 * Promise), so runs started before their test awaits them cannot go unhandled.
 */
import type { DocBlock } from '../support/doc-snippets.js';
import { blockWorkspace } from './block-workspace.js';
import { boundedPool, runBlock, type RunOutcome } from './run-block.js';
import type { Fixture, Prepared } from './run-fixtures.js';

export interface RunOptions {
  root: string;
  concurrency: number;
  timeoutMs: number;
  /** The broker for run=broker blocks; without it they fail, saying so. */
  amqpUrl: string | undefined;
  fixtures: Readonly<Record<string, Fixture>>;
}

export interface Runs {
  outcomeOf(block: DocBlock): Promise<RunOutcome>;
  /** Awaits every run, then deletes the block files. */
  finish(): Promise<void>;
}

export function startRuns(blocks: readonly DocBlock[], options: RunOptions): Runs {
  const runnable = blocks.filter((block) => block.run !== undefined && !block.ignore);
  const workspace = blockWorkspace(options.root, 'run', runnable);
  const pool = boundedPool(options.concurrency);
  const outcomes = new Map(runnable.map((block) => [block, pool(() => runOne(block))]));

  async function runOne(block: DocBlock): Promise<RunOutcome> {
    const where = `${block.file}:${block.fenceLine}`;
    if (block.problems.length > 0) return { ok: false, report: block.problems.join('\n') };
    if (block.run === 'memory') {
      const env = { ...process.env };
      delete env.AMQP_URL;
      return runBlock(options.root, workspace, block, { env, timeoutMs: options.timeoutMs });
    }
    const fixture = block.fixture === undefined ? undefined : options.fixtures[block.fixture];
    if (block.fixture !== undefined && fixture === undefined) {
      const known = Object.keys(options.fixtures).join(', ');
      return { ok: false, report: `${where} (${block.name}): no fixture "${block.fixture}" (known: ${known})` };
    }
    if (options.amqpUrl === undefined) return { ok: false, report: `${where}: a run=broker block, and no broker was given` };
    const env = { ...process.env, AMQP_URL: options.amqpUrl };
    if (fixture === undefined) return runBlock(options.root, workspace, block, { env, timeoutMs: options.timeoutMs });
    return runWithFixture(block, fixture, env);
  }

  async function runWithFixture(block: DocBlock, fixture: Fixture, env: NodeJS.ProcessEnv): Promise<RunOutcome> {
    const where = `${block.file}:${block.fenceLine}: fixture "${block.fixture ?? ''}"`;
    let prepared: Prepared;
    try {
      prepared = await fixture(options.amqpUrl ?? '');
    } catch (error) {
      return { ok: false, report: `${where} could not prepare the broker: ${describe(error)}` };
    }
    let outcome: RunOutcome | undefined;
    try {
      outcome = await runBlock(options.root, workspace, block, { env: { ...env, ...prepared.env }, timeoutMs: options.timeoutMs });
      if (outcome.ok) await prepared.verify();
    } catch (error) {
      const why = `${where}: the block exited 0, but the broker is not as it should be after it: ${describe(error)}`;
      outcome = { ok: false, report: `${why}\n${outcome?.report ?? ''}` };
    }
    try {
      await prepared.cleanup();
    } catch (error) {
      const why = `${where} could not clean up: ${describe(error)}`;
      outcome = { ok: false, report: `${outcome.report}\n${why}` };
    }
    return outcome;
  }

  return {
    outcomeOf: (block) => outcomes.get(block) ?? Promise.resolve({ ok: false, report: `${block.name} is not a run block` }),
    finish: async () => {
      await Promise.all(outcomes.values());
      workspace.remove();
    },
  };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause === undefined ? '' : `\ncaused by: ${describe(error.cause)}`;
  return `${error.stack ?? error.message}${cause}`;
}
