import v8 from 'node:v8';
import vm from 'node:vm';

/** Node's collector, when it can be had in this process (vitest runs no --expose-gc). */
export function collector(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}
