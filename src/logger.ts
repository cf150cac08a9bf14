/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The logger rx-pubsub writes to: silent unless you pass one. pino satisfies it
 * as is; `console` does too, through {@link consoleLogger}.
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

/** A logger that writes nothing: the default. */
export const silentLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
});

/** A logger over `console`, with its bindings printed as fields. */
export function consoleLogger(bindings: LogFields = {}, sink: Pick<Console, 'debug' | 'info' | 'warn' | 'error'> = console): Logger {
  const write =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields: LogFields = {}): void => {
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
