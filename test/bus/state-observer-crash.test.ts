/**
 * settlements$ and on$ are GuardedObservables (an observer that throws is logged), but state$ is a plain rxjs
 * Observable (DegradedBy's combineLatest): an application observer of state$ that throws, say on 'disconnected',
 * is rethrown by rxjs from a setTimeout (reportUnhandledError) and the process exits.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../support/bus.js';

const run = promisify(execFile);
const SRC = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

describe('review - a state$ observer cannot crash the process (memory)', () => {
  it('state$ - an observer whose next throws is logged and the process goes on', async () => {
    const name = uniqueName('rv-state');
    const script = join(tmpdir(), `${name}.mts`);
    writeFileSync(
      script,
      `import { EventBus, createEvent } from ${JSON.stringify(SRC)};
const logged: string[] = [];
const logger: any = { debug() {}, info() {}, warn() {}, error: (_f: object, m: string) => void logged.push(m), child: () => logger };
const bus = await EventBus.connect({ url: 'memory://${name}', queue: 'q', logger });
bus.state$.subscribe(() => { throw new Error('observer bug'); });
bus.handle('order.*', () => undefined);
await bus.ready();
await bus.publish(createEvent({ domain: 'order', action: 'created', data: {} }));
await new Promise((r) => setTimeout(r, 200));
console.log('ALIVE', logged.some((m) => m.includes('state$')));
await bus.close();
`,
    );
    const stdout = await run(TSX, [script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 20_000 }).then(
      (result) => result.stdout,
      (error: { stdout?: string }) => error.stdout ?? '',
    );
    expect(stdout).toContain('ALIVE true');
  }, 25_000);
});
