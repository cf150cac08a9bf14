/** The buses' warnings and errors, captured as data (the reconnect story of a run). */
import type { LogFields, Logger } from '../src/index.js';
import type { LogLine } from './protocol.js';

/** A Logger that hands every warning and error to `onLine` and drops the rest. */
export function capturingLogger(onLine: (line: LogLine) => void, bindings: LogFields = {}): Logger {
  const line = (level: LogLine['level']) => (fields: LogFields, message: string) =>
    onLine({ level, message, fields: safeJson({ ...bindings, ...fields }), at: Date.now() });
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: line('warn'),
    error: line('error'),
    child: (more) => capturingLogger(onLine, { ...bindings, ...more }),
  };
}

/** `12:34:56.789 svc-a warn: disconnected {"reason":...}` */
export function logText(party: string, line: LogLine): string {
  return `${new Date(line.at).toISOString().slice(11, 23)} ${party} ${line.level}: ${line.message}${line.fields === '{}' ? '' : ` ${line.fields}`}`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
