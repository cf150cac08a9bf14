/**
 * close({ timeoutMs }) past its deadline destroys the sockets (amqp-connection.ts), but amqplib only tidies up
 * on a socket 'error' or 'end': a plain destroy() leaves its heartbeat intervals running, so the process stays
 * alive until the heartbeat gives up (~30 s with the default heartbeatSeconds 10). A SIGTERM handler that
 * closes with a deadline and lets the process end runs into SIGKILL.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { amqpUrl, registerCleanup, uniqueName } from '../support/bus.js';

const run = promisify(execFile);
const SRC = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

describe('review - the process ends after close (amqp)', () => {
  it('close deadline - a bus closed past its deadline with a handler still running lets the process exit promptly', async () => {
    const exchange = uniqueName('rv-exit-x');
    const queue = uniqueName('rv-exit');
    registerCleanup(amqpUrl(), exchange, queue);
    const script = join(tmpdir(), `${queue}.mts`);
    writeFileSync(
      script,
      `import { EventBus, createEvent } from ${JSON.stringify(SRC)};
const bus = await EventBus.connect({ url: process.env.URL!, exchange: ${JSON.stringify(exchange)}, queue: ${JSON.stringify(queue)}, handlerTimeoutMs: 20_000 });
bus.handle('order.*', () => new Promise(() => {}));
await bus.ready();
for (let i = 0; i < 20; i++) await bus.publish(createEvent({ domain: "order", action: "created", data: {} }));
for (let i = 0; i < 5; i++) void bus.publish(createEvent({ domain: "order", action: "created", data: {} })).catch(() => {});
await new Promise((r) => setTimeout(r, 300));
await bus.close({ timeoutMs: 200 });
const closedAt = Date.now();
process.on('exit', () => console.log('EXIT_AFTER_MS', Date.now() - closedAt));
`,
    );
    const { stdout } = await run(TSX, [script], { env: { ...process.env, URL: amqpUrl() }, timeout: 40_000 });
    const after = Number(/EXIT_AFTER_MS (\d+)/.exec(stdout)?.[1]);
    expect(after).toBeLessThan(2_000);
  }, 45_000);
});
