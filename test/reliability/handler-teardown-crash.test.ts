/**
 * A handler's Observable whose teardown throws, completed asynchronously (from a timer, a socket callback):
 * rxjs runs the teardown inside the handler's own `subscriber.complete()` call and throws an
 * UnsubscriptionError there, i.e. out of the handler's timer callback: an uncaught exception, the process
 * exits. run-handler.ts subscribes the handler's Observable through quietTeardown (core/quiet-subscriber.ts).
 * The child must stay alive, settle the delivery (acked: the handler completed) and exit by itself after
 * close (an unsettled delivery used to hold close until its 30 s deadline).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { uniqueName } from '../support/bus.js';

const run = promisify(execFile);
const SRC = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

describe('review - a handler cannot crash the process (memory)', () => {
  it('handler - an Observable completing from a timer whose teardown throws does not end the process', async () => {
    const name = uniqueName('rv-td');
    // Inside the repository, so that the script's `rxjs` import resolves (a file in the OS temp dir finds no node_modules).
    const dir = fileURLToPath(new URL(`../.${name}/`, import.meta.url));
    mkdirSync(dir, { recursive: true });
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, 'script.mts');
    writeFileSync(
      script,
      `import { Observable } from 'rxjs';
import { EventBus, createEvent } from ${JSON.stringify(SRC)};
const bus = await EventBus.connect({ url: 'memory://${name}', queue: 'q' });
bus.handle('order.*', () => new Observable<void>((sub) => { setTimeout(() => sub.complete(), 10); return () => { throw new Error('teardown'); }; }));
await bus.ready();
await bus.publish(createEvent({ domain: 'order', action: 'created', data: {} }));
await new Promise((r) => setTimeout(r, 300));
console.log('ALIVE', JSON.stringify(bus.stats()));
await bus.close();
`,
    );
    // Rejects (failing the test) if the child crashes, or has not exited 15 s later.
    const { stdout } = await run(TSX, [script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 15_000 });
    expect(stdout).toContain('ALIVE');
    expect(JSON.parse(/ALIVE (.*)/.exec(stdout)?.[1] ?? '{}')).toMatchObject({ acked: 1, unhandled: 0 });
  }, 20_000);
});
