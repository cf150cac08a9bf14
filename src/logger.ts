import { redactText } from './redact-url.js';

/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The logger rx-pubsub writes to: silent unless you pass one. It takes pino's
 * argument order, fields first (`logger.warn({ queue }, 'message')`), so a pino
 * logger (or anything of its shape: bunyan, a pino child) plugs in as is;
 * `console` does through {@link consoleLogger}.
 *
 * rx-pubsub never lets a logger's failure reach its work: a method that throws
 * is caught and the line is dropped.
 *
 * @example
 * import pino from 'pino';
 * const bus = await EventBus.connect({ url: 'memory://demo', logger: pino() });
 */
export interface Logger {
  /** Detail: a stale ack dropped, a failure repeated, a replayed record skipped. Off in production. */
  debug(fields: LogFields, message: string): void;
  /** Lifecycle: reconnected, unblocked by the broker, recovered. */
  info(fields: LogFields, message: string): void;
  /** Trouble the bus recovers from by itself: a queue declared again, deliveries requeued at a `close()` deadline, a failing telemetry call. */
  warn(fields: LogFields, message: string): void;
  /** A failure the bus works around, worth a look: a copy to the dead letters, a channel setup, a step of `close()`, an observer of yours that threw. */
  error(fields: LogFields, message: string): void;
  /** A logger that adds `bindings` to every line (the bus binds its queue, for instance). */
  child(bindings: LogFields): Logger;
}

/** A {@link Logger} method's name. */
type Level = 'debug' | 'info' | 'warn' | 'error';

/** A logger that writes nothing: the default. */
export const silentLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
});

/**
 * A logger over `console`, pino's argument order in, `console.warn('[rx-pubsub] message', fields)` out.
 *
 * @param bindings - Fields added to every line.
 * @param sink - Where lines go, one method per level. @default console
 * @example
 * const bus = await EventBus.connect({ url: 'memory://demo', logger: consoleLogger({ service: 'billing' }) });
 */
export function consoleLogger(bindings: LogFields = {}, sink: Pick<Console, Level> = console): Logger {
  const write =
    (level: Level) =>
    (fields: LogFields, message: string): void => {
      const all = { ...bindings, ...fields };
      if (Object.keys(all).length === 0) sink[level](`[rx-pubsub] ${message}`);
      else sink[level](`[rx-pubsub] ${message}`, all);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (more) => consoleLogger({ ...bindings, ...more }, sink),
  };
}

/**
 * `logger` with every call guarded: a log line must never stop a delivery, a
 * publish or a close. A throwing method drops its line; a throwing `child()`
 * falls back to the parent. The bus wraps the logger it is given once.
 */
export function guardedLogger(logger: Logger): Logger {
  if (logger === silentLogger || guarded.has(logger)) return logger;
  const call =
    (level: Level) =>
    (fields: LogFields, message: string): void => {
      try {
        logger[level](redactFields(fields), redactText(message));
      } catch {
        // The application's logger failed; there is nowhere left to report it.
      }
    };
  const safe: Logger = {
    debug: call('debug'),
    info: call('info'),
    warn: call('warn'),
    error: call('error'),
    child: (bindings) => {
      try {
        return guardedLogger(logger.child(bindings));
      } catch {
        return safe;
      }
    },
  };
  guarded.add(safe);
  return safe;
}

const guarded = new WeakSet<Logger>();

// Whatever a field quotes (an amqplib error, a handler's error naming its database URL), no password reaches a log.
function redactFields(fields: LogFields): LogFields {
  let copy: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value !== 'string') continue;
    const redacted = redactText(value);
    if (redacted !== value) (copy ??= { ...fields })[key] = redacted;
  }
  return copy ?? fields;
}
