import { messageOf } from '../errors.js';
import type { Logger } from '../logger.js';
import { redactText } from '../redact-url.js';

/**
 * Keeps a failing OpenTelemetry SDK (a span processor, an exporter, a
 * propagator, a view) out of publishes and deliveries: a telemetry call that
 * throws is skipped, and the first failure of each bus is logged.
 */
export class TelemetryGuard {
  private warned = false;

  constructor(private readonly logger: Logger) {}

  /** `work()`, or `fallback` when it threw. */
  attempt<T>(work: () => T, fallback: T): T {
    try {
      return work();
    } catch (error) {
      this.failed(error);
      return fallback;
    }
  }

  /** Records a failed telemetry call: logged once per bus, never thrown. */
  failed(error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    let reason: string;
    try {
      reason = redactText(messageOf(error));
    } catch {
      reason = 'an error whose message cannot be read';
    }
    this.logger.warn({ reason }, 'an OpenTelemetry call failed; failing telemetry calls are skipped (logged once per bus)');
  }
}
