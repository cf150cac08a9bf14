/**
 * OpenTelemetry as a user installs it: the run's packed tarball
 * (test/support/packed-package.ts) extracted into a project's node_modules,
 * beside the project's own packages (symlinked from this repository's
 * node_modules, nothing downloaded).
 *
 * - without `@opentelemetry/api` anywhere: the package type-checks
 *   (skipLibCheck off) and runs, telemetry off;
 * - beside the SDK: the package uses the application's one copy of the API
 *   (it bundles none), so the spans of a publish and its delivery arrive in
 *   the SDK the application registered.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, it } from 'vitest';
import { PACK_TIMEOUT_MS, TSC, packedPackage, userProject } from '../support/packed-package.js';
import { commandOutput } from '../support/run-command.js';

/** tsc checking the package's declarations with @types/node: 25 s alone on a loaded two-core machine, more side by side. */
const COMPILE_TIMEOUT_MS = 180_000;

/** Compiles the project's tsconfig.json, then prints what running out/app.js printed. */
async function compileAndRun(dir: string): Promise<unknown> {
  await commandOutput(TSC, ['-p', 'tsconfig.json', '--pretty', 'false'], dir, COMPILE_TIMEOUT_MS);
  return JSON.parse(await commandOutput(process.execPath, [join('out', 'app.js')], dir));
}

beforeAll(async () => {
  await packedPackage();
}, PACK_TIMEOUT_MS);

// Concurrent: each test waits on a tsc or node of its own, so two cores compile two projects at once.
describe.concurrent('package (OpenTelemetry)', () => {
  it('package - the tarball bundles no copy of @opentelemetry/api, and declares it an optional peer', async ({ expect }) => {
    const { report, dir } = await packedPackage();
    expect(report.files.map((file) => file.path).filter((path) => /node_modules|@opentelemetry/.test(path))).toEqual([]);
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional: boolean }>;
      dependencies: object;
    };
    expect(manifest.peerDependencies['@opentelemetry/api']).toBe('>=1.3.0 <2');
    expect(manifest.peerDependenciesMeta['@opentelemetry/api']).toEqual({ optional: true });
    expect(Object.keys(manifest.dependencies)).not.toContain('@opentelemetry/api');
  });

  it(
    'package - without @opentelemetry/api installed, an application type-checks (skipLibCheck off) and runs, telemetry off',
    async ({ expect }) => {
      const dir = await userProject('no-otel', { without: ['@opentelemetry'] });
      await writeFile(
        join(dir, 'app.ts'),
        `import { EventBus, createEvent, type EventBusOptions } from 'rx-pubsub-amqp';
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
      expect(await compileAndRun(dir)).toEqual({ otel: 'absent', headers: [null] });
    },
    COMPILE_TIMEOUT_MS,
  );

  it(
    'package - beside the OpenTelemetry SDK, the spans of a publish and its delivery arrive in the application`s SDK',
    async ({ expect }) => {
      const dir = await userProject('with-sdk');
      await writeFile(
        join(dir, 'app.ts'),
        `import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { EventBus, createEvent } from 'rx-pubsub-amqp';

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
      expect(await compileAndRun(dir)).toEqual({
        names: ['handle order.*', 'process q', 'publish events'],
        parented: true,
        oneTrace: true,
      });
    },
    COMPILE_TIMEOUT_MS,
  );
});
