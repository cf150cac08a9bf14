import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the first test that needs the packed package builds and packs it, for every other (packed-package.ts). */
    packageWorkDir: string;
  }
}

/**
 * Vitest global setup of the offline project: one empty directory per run for
 * the packed package. Nothing is built here: a run without package tests pays
 * nothing, and the first test file that asks for the package builds it, once,
 * for all the others (packed-package.ts). The directory goes at the run's end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'rx-pubsub-amqp-pack-'));
  project.provide('packageWorkDir', dir);
  return () => rm(dir, { recursive: true, force: true });
}
