/**
 * memory:// keeps a message's TTL timer (a delay queue `Q.retry.<ms>`) on the event loop after every bus on the
 * broker closed: a demo or test that closes its bus hangs until the retry delay ends (up to the longest
 * delaysMs, e.g. 30 s). The memory broker stands for a network peer, and a peer's clock should not keep the
 * process alive: its timers could be unref'd while no connection to the broker is open (ref'd again on connect).
 * Not fixed here: MemoryClock is shared with virtual-time schedulers, and unref-ing it while buses are open
 * would let a process end with a retry still waiting. Left as it.fails.
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
  it.fails('close - a memory bus with a retry waiting in its delay queue lets the process exit promptly', async () => {
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
});
