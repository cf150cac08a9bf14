/**
 * OpenTelemetry as a user installs it: the packed tarball (`npm pack` of a
 * fresh build) extracted into a project's node_modules, beside the project's
 * own packages (symlinked from this repository's node_modules, nothing downloaded).
 *
 * - without `@opentelemetry/api` anywhere: the package type-checks
 *   (skipLibCheck off) and runs, telemetry off;
 * - beside the SDK: the package uses the application's one copy of the API
 *   (it bundles none), so the spans of a publish and its delivery arrive in
 *   the SDK the application registered.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const TSC = join(root, 'node_modules', '.bin', 'tsc');

let workDir = '';
let tarball = '';

/** Runs a command; a failure shows its output. */
async function run(command: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await exec(command, args, { cwd, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: unknown; stderr?: unknown; message?: unknown };
    throw new Error(`${command} ${args.join(' ')} failed: ${String(e.message)}\n${String(e.stdout)}\n${String(e.stderr)}`);
  }
}

/** A project with the tarball installed, and this repository's packages but those `without`. */
async function project(name: string, without: readonly string[]): Promise<string> {
  const dir = join(workDir, name);
  const modules = join(dir, 'node_modules');
  await mkdir(join(modules, 'rx-pubsub'), { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', join(modules, 'rx-pubsub'), '--strip-components=1'], dir);
  for (const entry of await readdir(join(root, 'node_modules'))) {
    if (entry.startsWith('.') || without.includes(entry)) continue;
    await symlink(join(root, 'node_modules', entry), join(modules, entry), 'dir');
  }
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  return dir;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'rx-pubsub-otel-'));
  const packageDir = join(workDir, 'package');
  await run(TSC, ['-p', 'tsconfig.build.json', '--outDir', join(packageDir, 'dist')], root);
  await copyFile(join(root, 'package.json'), join(packageDir, 'package.json'));
  await copyFile(join(root, 'README.md'), join(packageDir, 'README.md'));
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', workDir], packageDir);
  const [{ filename }] = JSON.parse(packed) as [{ filename: string }];
  tarball = join(workDir, filename);
}, 180_000);

afterAll(async () => {
  if (workDir !== '') await rm(workDir, { recursive: true, force: true });
});

describe('package (OpenTelemetry)', () => {
  it('package - the tarball bundles no copy of @opentelemetry/api, and declares it an optional peer', async () => {
    const listing = await run('tar', ['-tzf', tarball], workDir);
    expect(listing).not.toMatch(/node_modules|@opentelemetry/);
    const dir = await project('manifest', []);
    const { default: manifest } = (await import(join(dir, 'node_modules', 'rx-pubsub', 'package.json'), { with: { type: 'json' } })) as {
      default: { peerDependencies: Record<string, string>; peerDependenciesMeta: Record<string, { optional: boolean }>; dependencies: object };
    };
    expect(manifest.peerDependencies['@opentelemetry/api']).toBe('>=1.3.0 <2');
    expect(manifest.peerDependenciesMeta['@opentelemetry/api']).toEqual({ optional: true });
    expect(Object.keys(manifest.dependencies)).not.toContain('@opentelemetry/api');
  });

  it('package - without @opentelemetry/api installed, an application type-checks (skipLibCheck off) and runs, telemetry off', async () => {
    const dir = await project('no-otel', ['@opentelemetry']);
    await writeFile(
      join(dir, 'app.ts'),
      `import { EventBus, createEvent, type EventBusOptions } from 'rx-pubsub';
const options: EventBusOptions = { url: 'memory://no-otel', queue: 'q', telemetry: true };
let otel = 'present';
try { await import('@opentelemetry/api' as string); } catch { otel = 'absent'; }
const bus = await EventBus.connect(options);
const headers: unknown[] = [];
bus.handle('order.*', () => {});
bus.settlements$.subscribe((s) => headers.push(s.delivery.properties.headers ?? null));
await bus.ready();
await bus.publish(createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1' } }));
while (bus.stats().acked < 1) await new Promise((r) => setTimeout(r, 5));
await bus.close();
console.log(JSON.stringify({ otel, headers }));
`,
    );
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', target: 'ES2022', strict: true, skipLibCheck: false, types: ['node'], outDir: 'out' },
        files: ['app.ts'],
      }),
    );
    await run(TSC, ['-p', 'tsconfig.json', '--pretty', 'false'], dir);
    expect(JSON.parse(await run(process.execPath, [join('out', 'app.js')], dir))).toEqual({ otel: 'absent', headers: [null] });
  }, 90_000);

  it('package - beside the OpenTelemetry SDK, the spans of a publish and its delivery arrive in the application`s SDK', async () => {
    const dir = await project('with-sdk', []);
    await writeFile(
      join(dir, 'app.ts'),
      `import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { EventBus, createEvent } from 'rx-pubsub';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

// The SDK's providers fit the options' structural types.
const own = await EventBus.connect({ url: 'memory://typed', tracerProvider: provider, meterProvider: new MeterProvider() });
await own.close();

const bus = await EventBus.connect({ url: 'memory://with-sdk', queue: 'q', exchange: 'events' });
bus.handle('order.*', () => {});
await bus.ready();
await bus.publish(createEvent({ domain: 'order', action: 'created', data: { order_id: 'A1' } }));
while (bus.stats().acked < 1) await new Promise((r) => setTimeout(r, 5));
await bus.close();
const spans = exporter.getFinishedSpans();
const producer = spans.find((s) => s.name === 'publish events');
const consumer = spans.find((s) => s.name === 'process q');
console.log(JSON.stringify({
  names: spans.map((s) => s.name).sort(),
  parented: consumer?.parentSpanContext?.spanId === producer?.spanContext().spanId,
  oneTrace: new Set(spans.map((s) => s.spanContext().traceId)).size === 1,
}));
`,
    );
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', target: 'ES2022', strict: true, skipLibCheck: true, types: ['node'], outDir: 'out' },
        files: ['app.ts'],
      }),
    );
    await run(TSC, ['-p', 'tsconfig.json', '--pretty', 'false'], dir);
    expect(JSON.parse(await run(process.execPath, [join('out', 'app.js')], dir))).toEqual({
      names: ['handle order.*', 'process q', 'publish events'],
      parented: true,
      oneTrace: true,
    });
  }, 90_000);
});
