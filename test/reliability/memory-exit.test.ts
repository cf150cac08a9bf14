/**
 * memory:// kept a message's TTL timer (a delay queue `Q.retry.<ms>`) on the event loop after every bus on the
 * broker closed: a demo or test that closed its bus hung until the retry delay ended (up to the longest
 * delaysMs, e.g. 30 s). The memory broker stands for a network peer, whose clock never keeps a client alive:
 * its TTL timers hold the process only while a connection to it is open (transport/memory/peer-timers.ts).
 * The second test is the other side: while the bus is open, a process waiting for nothing but a retry stays
 * alive and gets it.
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

describe('review - the process ends after close (memory)', () => {
  it('close - a memory bus with a retry waiting in its delay queue lets the process exit promptly', async () => {
    const name = uniqueName('rv-mexit');
    const script = join(tmpdir(), `${name}.mts`);
    writeFileSync(
      script,
      `import { EventBus, createEvent } from ${JSON.stringify(SRC)};
const bus = await EventBus.connect({ url: 'memory://${name}', queue: 'q', retry: { attempts: 3, delaysMs: 6_000 } });
bus.handle('order.*', () => { throw new Error('down'); });
await bus.ready();
await bus.publish(createEvent({ domain: 'order', action: 'created', data: {} }));
while (bus.stats().retried < 1) await new Promise((r) => setTimeout(r, 10));
await bus.close();
const closedAt = Date.now();
process.on('exit', () => console.log('EXIT_AFTER_MS', Date.now() - closedAt));
`,
    );
    const { stdout } = await run(TSX, [script], { timeout: 20_000 });
    expect(Number(/EXIT_AFTER_MS (\d+)/.exec(stdout)?.[1])).toBeLessThan(2_000);
  }, 25_000);

  it('retry - while the bus is open, a process waiting for nothing but a retry in the delay queue stays alive and gets it', async () => {
    const name = uniqueName('rv-mwait');
    const script = join(tmpdir(), `${name}.mts`);
    writeFileSync(
      script,
      `import { EventBus, createEvent } from ${JSON.stringify(SRC)};
const bus = await EventBus.connect({ url: 'memory://${name}', queue: 'q', retry: { attempts: 2, delaysMs: 300 } });
let calls = 0;
const acked = new Promise((resolve) => bus.handle('order.*', () => { if (++calls === 1) throw new Error('down'); resolve(calls); }));
await bus.ready();
await bus.publish(createEvent({ domain: 'order', action: 'created', data: {} }));
console.log('HANDLED', await acked);
await bus.close();
`,
    );
    const { stdout } = await run(TSX, [script], { timeout: 20_000 });
    expect(stdout).toContain('HANDLED 2');
  }, 25_000);
});
