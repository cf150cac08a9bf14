import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

/** Message headers as the propagator's carrier: AMQP headers are a table of any values. */
export type HeaderCarrier = Readonly<Record<string, unknown>>;

/**
 * Reads `traceparent`, `tracestate` and `baggage` from AMQP headers. Another
 * client may have sent them as bytes (AMQP long strings decode as Buffers in
 * some clients): read as UTF-8. Anything else is no header.
 */
export const headerGetter: TextMapGetter<HeaderCarrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    if (!Object.hasOwn(carrier, key)) return undefined;
    const value = carrier[key];
    if (typeof value === 'string') return value;
    return Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
  },
};

/** Writes the propagator's headers into a fresh headers object of the outgoing message. */
export const headerSetter: TextMapSetter<Record<string, unknown>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};
