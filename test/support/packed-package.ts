/**
 * The package as npm publishes it, made once per test run and shared by every
 * test that installs it. A copy of what `npm pack` reads (package.json, the
 * `files` it lists, the build's tsconfigs) is packed by `npm pack`, whose
 * `prepack` script builds `dist/` there, as a publish from a fresh clone
 * would; the repository's own `dist/` is never read or written.
 *
 * Test files run in parallel workers: the first to ask takes a lock
 * (an exclusive mkdir) in the run's directory (package-setup.ts) and packs;
 * the others wait for its result, or its failure.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';
import { commandOutput } from './run-command.js';
import { waitFor } from './wait-for.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const PACKAGE_NAME = 'rx-pubsub-amqp';
/** The repository's TypeScript, for compiling a user's project. */
export const TSC = join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
/** A build and a pack on a loaded two-core machine: tsc alone has taken 40 s. */
export const PACK_TIMEOUT_MS = 240_000;

/** `npm pack --json`'s report of one package. */
export interface PackReport {
  readonly name: string;
  readonly version: string;
  /** Bytes of the .tgz. */
  readonly size: number;
  readonly unpackedSize: number;
  readonly entryCount: number;
  readonly filename: string;
  readonly files: readonly { readonly path: string; readonly size: number; readonly mode: number }[];
}

export interface PackedPackage {
  /** The .tgz, as `npm publish` would upload it. */
  readonly tarball: string;
  readonly report: PackReport;
  /** The tarball extracted (`package/`): what an install puts in node_modules/rx-pubsub-amqp. */
  readonly dir: string;
}

const LOCK = 'packing';
const DONE = 'packed.json';
const FAILED = 'failed.txt';

let packing: Promise<PackedPackage> | undefined;

/** The packed package of this run: packed by the first caller of any test file, then shared. */
export function packedPackage(): Promise<PackedPackage> {
  packing ??= packOnce(runDir());
  return packing;
}

function runDir(): string {
  const dir = inject('packageWorkDir');
  if (typeof dir !== 'string') throw new Error('packedPackage() needs the offline project global setup (test/support/package-setup.ts)');
  return dir;
}

async function packOnce(dir: string): Promise<PackedPackage> {
  try {
    await mkdir(join(dir, LOCK));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return packedByAnother(dir);
  }
  try {
    const packed = await pack(dir);
    await writeFile(join(dir, `${DONE}.tmp`), JSON.stringify(packed));
    await rename(join(dir, `${DONE}.tmp`), join(dir, DONE));
    return packed;
  } catch (error) {
    await writeFile(join(dir, FAILED), error instanceof Error ? (error.stack ?? error.message) : String(error));
    throw error;
  }
}

async function packedByAnother(dir: string): Promise<PackedPackage> {
  await waitFor(() => existsSync(join(dir, DONE)) || existsSync(join(dir, FAILED)), {
    timeoutMs: PACK_TIMEOUT_MS,
    intervalMs: 200,
    description: `the package packed by another test file in ${dir}`,
  });
  if (existsSync(join(dir, FAILED)))
    throw new Error(`packing the package failed in another test file:\n${await readFile(join(dir, FAILED), 'utf8')}`);
  return JSON.parse(await readFile(join(dir, DONE), 'utf8')) as PackedPackage;
}

async function pack(dir: string): Promise<PackedPackage> {
  const stage = join(dir, 'stage');
  await mkdir(stage);
  const manifest = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { files?: string[] };
  for (const path of ['package.json', 'tsconfig.json', 'tsconfig.build.json', ...(manifest.files ?? [])]) {
    if (existsSync(join(REPO_ROOT, path)) && path !== 'dist') await cp(join(REPO_ROOT, path), join(stage, path), { recursive: true });
  }
  // tsc finds @types/node and the dependencies' types here; npm never packs node_modules.
  await symlink(join(REPO_ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
  const stdout = await commandOutput('npm', ['pack', '--json', '--pack-destination', dir], stage, PACK_TIMEOUT_MS);
  const [report] = JSON.parse(stdout) as [PackReport];
  const tarball = join(dir, report.filename);
  await commandOutput('tar', ['-xzf', tarball, '-C', dir], dir);
  return { tarball, report, dir: join(dir, 'package') };
}

export interface UserProjectOptions {
  /** package.json `type`. @default 'module' */
  readonly type?: 'module' | 'commonjs';
  /** Entries of this repository's node_modules the project does not have (`@opentelemetry`). */
  readonly without?: readonly string[];
}

/**
 * A user's project in a directory of its own: the tarball installed in
 * node_modules/rx-pubsub-amqp, beside this repository's packages (symlinked,
 * nothing downloaded) but those `without`.
 */
export async function userProject(name: string, { type = 'module', without = [] }: UserProjectOptions = {}): Promise<string> {
  const { tarball } = await packedPackage();
  const project = await mkdtemp(join(runDir(), `${name}-`));
  const modules = join(project, 'node_modules');
  await mkdir(join(modules, PACKAGE_NAME), { recursive: true });
  await commandOutput('tar', ['-xzf', tarball, '-C', join(modules, PACKAGE_NAME), '--strip-components=1'], project);
  for (const entry of await readdir(join(REPO_ROOT, 'node_modules'))) {
    if (entry.startsWith('.') || without.includes(entry)) continue;
    await symlink(join(REPO_ROOT, 'node_modules', entry), join(modules, entry), 'dir');
  }
  const manifest = type === 'module' ? { name, private: true, type } : { name, private: true };
  await writeFile(join(project, 'package.json'), JSON.stringify(manifest));
  return project;
}
