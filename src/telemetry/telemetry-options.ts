/* eslint-disable @typescript-eslint/no-unnecessary-condition -- options come from untyped (JavaScript) callers too:
   the checks the types call impossible are this file's job. */
import { ConfigError, ErrorCode, show } from '../errors.js';

/**
 * An OpenTelemetry `TracerProvider` (from `@opentelemetry/api`, or an SDK's
 * `BasicTracerProvider`/`NodeTracerProvider`). Typed by the one method the bus
 * calls, so that an application without `@opentelemetry/api` still compiles.
 */
export interface TelemetryTracerProvider {
  /** The tracer the bus's spans are made with, named after the instrumentation (`rx-pubsub`). */
  getTracer(name: string, version?: string): unknown;
}

/**
 * An OpenTelemetry `MeterProvider` (from `@opentelemetry/api`, or the SDK's
 * `MeterProvider`). Typed by the one method the bus calls, like {@link TelemetryTracerProvider}.
 */
export interface TelemetryMeterProvider {
  /** The meter the bus's instruments are made with, named after the instrumentation (`rx-pubsub`). */
  getMeter(name: string, version?: string): unknown;
}

/**
 * OpenTelemetry traces and metrics. The bus uses the application's
 * `@opentelemetry/api` (an optional peer dependency) and its global providers;
 * without the package, or with no SDK registered, telemetry costs nothing.
 */
export interface TelemetryOptions {
  /**
   * `false` turns traces and metrics off for this bus: `@opentelemetry/api` is not even loaded.
   * @default true
   */
  readonly telemetry?: boolean;
  /**
   * Where this bus's spans go, instead of the global tracer provider.
   * @default the global tracer provider (`trace.setGlobalTracerProvider`)
   */
  readonly tracerProvider?: TelemetryTracerProvider;
  /**
   * Where this bus's metrics go, instead of the global meter provider (read at connect:
   * register the SDK before `EventBus.connect`).
   * @default the global meter provider (`metrics.setGlobalMeterProvider`)
   */
  readonly meterProvider?: TelemetryMeterProvider;
}

/** {@link TelemetryOptions} checked; `enabled: false` when `telemetry: false`. */
export interface ResolvedTelemetry {
  readonly enabled: boolean;
  readonly tracerProvider: TelemetryTracerProvider | undefined;
  readonly meterProvider: TelemetryMeterProvider | undefined;
}

/** The option names this file checks, for the bus's list of known options. */
export const TELEMETRY_OPTION_NAMES = ['telemetry', 'tracerProvider', 'meterProvider'] as const;

/**
 * Checks the telemetry options once, at connect.
 * @throws {ConfigError} `INVALID_OPTIONS`, naming the option and the fix.
 */
export function telemetryOptionsOf(options: TelemetryOptions): ResolvedTelemetry {
  const { telemetry = true, tracerProvider, meterProvider } = options;
  if (typeof telemetry !== 'boolean') fail('telemetry', `must be true or false (got ${show(telemetry)})`);
  return {
    enabled: telemetry,
    tracerProvider: providerOf('tracerProvider', tracerProvider, 'getTracer'),
    meterProvider: providerOf('meterProvider', meterProvider, 'getMeter'),
  };
}

function providerOf<P extends object>(option: string, value: P | undefined, method: 'getTracer' | 'getMeter'): P | undefined {
  if (value === undefined) return undefined;
  if (
    (typeof value !== 'object' && typeof value !== 'function') ||
    value === null ||
    typeof (value as Record<string, unknown>)[method] !== 'function'
  ) {
    fail(
      option,
      `must be an OpenTelemetry ${option === 'tracerProvider' ? 'TracerProvider' : 'MeterProvider'} (with a ${method}() method)`,
    );
  }
  return value;
}

function fail(option: string, problem: string): never {
  throw new ConfigError(ErrorCode.INVALID_OPTIONS, `EventBus option ${option} ${problem}`);
}
