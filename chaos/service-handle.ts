/**
 * The run's side of one chaos service: starts it (child process, or in this
 * process), and collects what it reports: handled ids (counted per event, so
 * duplicates and losses show), handler times, state$ changes and warnings.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BusStats } from '../src/index.js';
import type { ControlMessage, LogLine, ServiceConfig, ServiceMessage, StateChange } from './protocol.js';
import { type RunningService, runService } from './service.js';

const SERVICE_MAIN = fileURLToPath(new URL('./service-main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export class ServiceHandle {
  /** `handled[seq]`: how many times a handler of this service finished event `seq`. */
  readonly handled: Uint32Array;
  /** When each handler call finished, in arrival order. */
  readonly handledTimes: number[] = [];
  readonly states: StateChange[] = [];
  readonly logs: LogLine[] = [];
  readonly failures: string[] = [];
  /** Ids that are not this run's (another run's leftovers on a reused queue). */
  foreign = 0;
  uniqueHandled = 0;
  stats: BusStats | undefined;
  exitCode: number | null | undefined;

  private readonly readyPromise: Promise<void>;
  private readonly closedPromise: Promise<void>;
  private onReady: () => void = () => undefined;
  private onReadyFailed: (error: Error) => void = () => undefined;
  private onClosed: () => void = () => undefined;
  private child: ChildProcess | undefined;
  private inProcess: RunningService | undefined;

  private constructor(
    readonly config: ServiceConfig,
    events: number,
    private readonly seqOf: (id: string) => number | undefined,
    private readonly onLog: ((service: string, line: LogLine) => void) | undefined,
  ) {
    this.handled = new Uint32Array(events);
    this.readyPromise = new Promise((resolve, reject) => {
      this.onReady = resolve;
      this.onReadyFailed = reject;
    });
    this.readyPromise.catch(() => undefined);
    this.closedPromise = new Promise((resolve) => (this.onClosed = resolve));
  }

  /** Starts the service; `ready()` resolves once its consumer is live. */
  static start(
    config: ServiceConfig,
    options: {
      events: number;
      seqOf: (id: string) => number | undefined;
      inProcess: boolean;
      onLog?: (service: string, line: LogLine) => void;
    },
  ): ServiceHandle {
    const handle = new ServiceHandle(config, options.events, options.seqOf, options.onLog);
    if (options.inProcess) handle.startInProcess();
    else handle.startChild();
    return handle;
  }

  get name(): string {
    return this.config.name;
  }

  ready(timeoutMs: number): Promise<void> {
    const timer = setTimeout(() => this.onReadyFailed(new Error(`service ${this.name} was not ready within ${timeoutMs} ms`)), timeoutMs);
    return this.readyPromise.finally(() => clearTimeout(timer));
  }

  /** Closes the service's bus and waits for its last figures; kills a child that does not answer in time. */
  async close(busTimeoutMs: number, killAfterMs: number): Promise<void> {
    if (this.inProcess) {
      await this.inProcess.close(busTimeoutMs).catch((error: unknown) => this.failures.push(`close: ${String(error)}`));
      return;
    }
    const child = this.child;
    if (!child || this.exitCode !== undefined) return;
    if (child.connected) child.send({ type: 'close', timeoutMs: busTimeoutMs } satisfies ControlMessage);
    const timer = setTimeout(() => {
      this.failures.push(`did not close within ${killAfterMs} ms: killed`);
      child.kill('SIGKILL');
    }, killAfterMs);
    await this.closedPromise;
    clearTimeout(timer);
  }

  /** Last resort (the run failed): no goodbyes. */
  kill(): void {
    if (this.child && this.exitCode === undefined) this.child.kill('SIGKILL');
    void this.inProcess?.close(0).catch(() => undefined);
  }

  private startChild(): void {
    const child = fork(SERVICE_MAIN, [JSON.stringify(this.config)], {
      cwd: REPO_ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    child.on('message', (message: ServiceMessage) => this.receive(message));
    child.on('exit', (code, signal) => {
      this.exitCode = code;
      if (code !== 0) this.failures.push(`process exited with ${code ?? signal}`);
      this.onReadyFailed(new Error(`service ${this.name} exited (${code ?? signal}) before it was ready: ${this.failures.join('; ')}`));
      this.onClosed();
    });
  }

  private startInProcess(): void {
    runService(this.config, (message) => this.receive(message)).then(
      (service) => (this.inProcess = service),
      (error: unknown) => this.receive({ type: 'failed', error: error instanceof Error ? error.message : String(error) }),
    );
  }

  private receive(message: ServiceMessage): void {
    switch (message.type) {
      case 'ready':
        return this.onReady();
      case 'handled':
        return this.count(message.ids, message.at);
      case 'state':
        this.states.push(message.change);
        return;
      case 'log':
        this.logs.push(message.line);
        this.onLog?.(this.name, message.line);
        return;
      case 'closed':
        this.stats = message.stats;
        if (this.inProcess) this.onClosed();
        return;
      case 'failed':
        this.failures.push(message.error);
        this.onReadyFailed(new Error(`service ${this.name} failed: ${message.error}`));
        return;
    }
  }

  private count(ids: readonly string[], times: readonly number[]): void {
    for (let i = 0; i < ids.length; i++) {
      const seq = this.seqOf(ids[i] as string);
      if (seq === undefined || seq >= this.handled.length) {
        this.foreign++;
        continue;
      }
      const before = this.handled[seq] as number;
      this.handled[seq] = before + 1;
      if (before === 0) this.uniqueHandled++;
      this.handledTimes.push(times[i] as number);
    }
  }
}
