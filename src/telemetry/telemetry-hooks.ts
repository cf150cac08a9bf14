import type { Eventually } from '../core/eventually.js';
import type { HandlerFailure, Settlement } from '../core/outcome.js';
import type { Delivery, OutboundMessage } from '../transport/transport.js';

/**
 * What the delivery pipeline calls to trace and measure deliveries. Core knows
 * only this interface (no OpenTelemetry type), so it stays free of I/O and
 * marble tests run without it.
 */
export interface PipelineTelemetry {
  /**
   * Called once per delivery, first: its telemetry, or undefined when nothing
   * records (no SDK): then the pipeline runs exactly as without telemetry.
   */
  delivery(delivery: Delivery): DeliveryTelemetry | undefined;
}

/** One delivery's span and measures. None of its methods throws. */
export interface DeliveryTelemetry {
  /** This delivery's attempt number (1 for a first delivery, more for a retry). */
  attempt(attempt: number): void;
  /**
   * Runs `start` (which calls the handler) inside the handler's span, so that
   * what the handler does becomes its child; returns what `start` returned,
   * ending the span (and measuring the handler) when its result is there.
   */
  runHandler(pattern: string, handlerId: string, start: () => Eventually<HandlerFailure | null>): Eventually<HandlerFailure | null>;
  /** The delivery's settlement, passed through: the delivery's span ends with its outcome. */
  settled(settlement: Eventually<Settlement>): Eventually<Settlement>;
}

/** What the event sender calls around each publish. */
export interface PublishTelemetry {
  /** Whether `publish` would trace or measure anything now; when not (no SDK), the sender does without it. */
  recording(): boolean;
  /**
   * Sends `message` with `send` (the transport's publish), traced: the
   * message carries the trace context in its headers, and the span ends on
   * the confirm or the refusal. Resolves or rejects as `send` does.
   */
  publish(message: OutboundMessage, send: (message: OutboundMessage) => Promise<void>): Promise<void>;
}
