/**
 * The application's `@opentelemetry/api`, loaded at connect time.
 *
 * It is an optional peer dependency: a static import would crash the import
 * of rx-pubsub in an application without it. Loaded with a dynamic `import()`,
 * its absence only turns telemetry off. Never bundled: the application's one
 * copy is the one its SDK registered with; a private copy would find no SDK.
 *
 * The types come from the package too, but only in files the public
 * declarations never reach (the option types are structural).
 */
export type OtelApi = typeof import('@opentelemetry/api');

let loading: Promise<OtelApi | undefined> | undefined;

/** The package, or undefined when it is not installed (or is not an API we know). Loaded once per process. */
export function loadOtelApi(): Promise<OtelApi | undefined> {
  loading ??= import('@opentelemetry/api').then(
    (api) => (looksLikeTheApi(api) ? api : undefined),
    () => undefined,
  );
  return loading;
}

// An exotic install (a stub, an API older than the peer range) could lack what the bus calls: then it stays off.
function looksLikeTheApi(api: Partial<OtelApi>): boolean {
  try {
    return (
      typeof api.trace?.getTracerProvider === 'function' &&
      typeof api.trace.setSpan === 'function' &&
      typeof api.context?.with === 'function' &&
      typeof api.propagation?.extract === 'function' &&
      typeof api.metrics?.getMeterProvider === 'function' &&
      typeof api.createNoopMeter === 'function' &&
      typeof api.ProxyTracerProvider === 'function' &&
      api.ROOT_CONTEXT !== undefined
    );
  } catch {
    return false;
  }
}
