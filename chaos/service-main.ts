/**
 * Entry point of a chaos service child process (forked by chaos.ts with
 * `--import tsx`): the config comes as argv[2] (JSON), messages go back over IPC.
 * A fault here (a crash, a stuck consumer) shows up in this service's figures only.
 */
import type { ControlMessage, ServiceConfig, ServiceMessage } from './protocol.js';
import { type RunningService, runService } from './service.js';

let lastSend: Promise<unknown> = Promise.resolve();
const send = (message: ServiceMessage): void => {
  if (!process.connected) return;
  lastSend = new Promise((resolve) => process.send?.(message, undefined, {}, resolve));
};
// Disconnecting drops what is still queued: leave once the last message is written.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- process.disconnect exists only with an IPC channel
const leave = (): void => void lastSend.finally(() => process.disconnect?.());

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as ServiceConfig;
  // The run is gone (killed, crashed): nobody reads our figures any more.
  process.on('disconnect', () => process.exit(0));
  let service: RunningService;
  try {
    service = await runService(config, send);
  } catch (error) {
    send({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
    process.exitCode = 1;
    leave();
    return;
  }
  process.on('message', (message: ControlMessage) => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- an IPC message is typed, not checked
    if (message.type !== 'close') return;
    service
      .close(message.timeoutMs)
      .catch((error: unknown) => send({ type: 'failed', error: `close: ${error instanceof Error ? error.message : String(error)}` }))
      .finally(leave);
  });
}

process.on('unhandledRejection', (reason) => {
  send({ type: 'failed', error: `unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}` });
});

void main();
