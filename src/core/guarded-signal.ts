/**
 * An AbortController whose signal never lets a listener crash the process.
 *
 * Node reports an exception thrown by an EventTarget listener (or a Promise
 * one returns that rejects) as an uncaught exception, on the next tick: a
 * handler's `signal.addEventListener('abort', ...)` or `signal.onabort` that
 * throws would end the process when the bus aborts it. The listeners a
 * handler adds to this signal run inside a try instead; what they throw is
 * dropped, as the handler's outcome is decided already (it timed out, or the
 * bus is closing).
 */
/** An EventTarget listener, as Node takes one (there is no DOM lib here). */
type Listener = ((this: unknown, event: unknown) => unknown) | { handleEvent(event: unknown): unknown };
type Wrapper = (this: unknown, event: unknown) => void;

export function guardedAbortController(): AbortController {
  const controller = new AbortController();
  const signal = controller.signal;
  const wrappers = new WeakMap<object, Wrapper>();
  const wrapperOf = (listener: Listener): Wrapper => {
    let wrapper = wrappers.get(listener);
    if (wrapper === undefined) {
      wrapper = function (this: unknown, event: unknown): void {
        quietly(() => (typeof listener === 'function' ? listener.call(this, event) : listener.handleEvent(event)));
      };
      wrappers.set(listener, wrapper);
    }
    return wrapper;
  };
  // Typed loosely: Node's EventTarget takes what the DOM's does, and this file sees no DOM types.
  const add = signal.addEventListener.bind(signal) as (type: string, listener: unknown, options?: unknown) => void;
  const remove = signal.removeEventListener.bind(signal) as (type: string, listener: unknown, options?: unknown) => void;
  let onabort: ((this: AbortSignal, event: unknown) => unknown) | null = null;
  let onabortWrapper: Wrapper | undefined;
  Object.defineProperties(signal, {
    addEventListener: {
      value: (type: string, listener: Listener | null, options?: unknown) =>
        add(type, isListener(listener) ? wrapperOf(listener) : listener, options),
    },
    removeEventListener: {
      value: (type: string, listener: Listener | null, options?: unknown) =>
        remove(type, isListener(listener) ? (wrappers.get(listener) ?? listener) : listener, options),
    },
    onabort: {
      get: () => onabort,
      set: (handler: unknown) => {
        if (onabortWrapper !== undefined) remove('abort', onabortWrapper);
        onabort = typeof handler === 'function' ? (handler as typeof onabort) : null;
        const current = onabort;
        onabortWrapper = current === null ? undefined : (event: unknown) => quietly(() => current.call(signal, event));
        if (onabortWrapper !== undefined) add('abort', onabortWrapper);
      },
    },
  });
  return controller;
}

// Anything else (null, a number) goes to Node as given, which ignores or refuses it as it would.
function isListener(value: unknown): value is Listener {
  return typeof value === 'function' || (typeof value === 'object' && value !== null);
}

function quietly(listen: () => unknown): void {
  try {
    const result = listen();
    // An async listener's rejection would be reported as uncaught too.
    if (typeof result === 'object' && result !== null && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(undefined, () => undefined);
    }
  } catch {
    // See above: the listener's failure has no one left to tell.
  }
}
