/**
 * What the example scripts share: waiting for settlements with a bound, and
 * running a `main` as a script (signals, exit codes).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { filter, firstValueFrom, fromEvent, merge, mergeMap, NEVER, take, tap, throwError, timeout, toArray } from 'rxjs';
import type { EventBus, Settlement } from '../src/index.js';

/** Whether the module at `moduleUrl` (its `import.meta.url`) is the script node or tsx was asked to run. */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && fileURLToPath(moduleUrl) === resolve(script);
}

/** Why a demo stopped early. */
export class Aborted extends Error {
  override readonly name = 'Aborted';
}

/** Throws {@link Aborted} when `signal` has aborted: a check between steps of a demo. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Aborted(`aborted (${String(signal.reason)})`);
}

export interface SettledOptions {
  /** How many matching settlements to wait for. */
  readonly count: number;
  /** Which settlements count (e.g. those of this run's correlationId). */
  readonly where: (settlement: Settlement) => boolean;
  /** Reject when they did not all settle within this time. */
  readonly timeoutMs: number;
  /** Reject with `Aborted` when this aborts (SIGINT). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * The next `count` settlements matching `where`. It subscribes at once, so
 * call it before publishing and await it afterwards: `settlements$` is hot and
 * does not replay.
 */
export function settled(bus: EventBus, { count, where, timeoutMs, signal }: SettledOptions): Promise<Settlement[]> {
  if (signal?.aborted) return Promise.reject(new Aborted(`aborted (${String(signal.reason)})`));
  let seen = 0;
  const aborted$ =
    signal === undefined
      ? NEVER
      : fromEvent(signal, 'abort').pipe(
          take(1),
          mergeMap(() => throwError(() => new Aborted(`aborted (${String(signal.reason)}) with ${seen} of ${count} settled`))),
        );
  const settlements = bus.settlements$.pipe(
    filter(where),
    tap(() => seen++),
    take(count),
    toArray(),
  );
  const result = firstValueFrom(
    merge(settlements, aborted$).pipe(
      timeout({
        first: timeoutMs,
        with: () => throwError(() => new Error(`only ${seen} of ${count} events settled within ${timeoutMs} ms`)),
      }),
    ),
  );
  // Nobody may be awaiting yet (we are still publishing): keep an early failure from being "unhandled".
  result.catch(() => undefined);
  return result;
}

/**
 * Runs `main` as a script: SIGINT/SIGTERM abort it (it closes the bus on the
 * way out), and the exit code says how it went: 0 done, 1 failed, 130/143
 * interrupted. The process ends by itself once the bus is closed; should
 * anything still hold it open after 5 s, it is told so and ended.
 */
export function runAsScript(main: (signal: AbortSignal) => Promise<unknown>): void {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    console.log(`\n${name} received: closing the bus (press Ctrl-C again to quit at once)...`);
    controller.abort(name);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const finish = (code: number): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.exitCode = code;
    setTimeout(() => {
      console.error('Something still holds the process open 5 s after the bus closed: exiting anyway.');
      process.exit(code);
    }, 5_000).unref();
  };
  main(controller.signal).then(
    () => finish(controller.signal.aborted ? interruptedCode(controller.signal) : 0),
    (error: unknown) => {
      if (controller.signal.aborted) return finish(interruptedCode(controller.signal));
      console.error(`\nFailed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      finish(1);
    },
  );
}

function interruptedCode(signal: AbortSignal): number {
  return signal.reason === 'SIGTERM' ? 143 : 130;
}
