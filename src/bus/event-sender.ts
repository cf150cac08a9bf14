import { ensureEvent, type Event, routingKeyOf } from '../event/event.js';
import { eventJson } from '../event/serializer.js';
import { type CheckedPublishOptions, checkedPublishOptions } from '../transport/publish-options.js';
import type { OutboundMessage, Transport } from '../transport/transport.js';
import { wirePropertiesOf } from '../transport/wire-properties.js';
import { invalidEventError, publishFailure } from './checked-arguments.js';
import type { ResolvedOptions } from './options.js';
import type { PublishTelemetry } from '../telemetry/telemetry-hooks.js';

/**
 * `publish` from the event to the confirm: checked (the event rules, then the
 * catalog's schema, then the options), encoded by the transport (JSON unless it
 * says otherwise), sent with the wire properties, counted once confirmed.
 */
export class EventSender {
  constructor(
    private readonly config: Pick<ResolvedOptions, 'catalog' | 'exchange' | 'wire' | 'mandatory' | 'publishTimeoutMs'>,
    private readonly transport: Transport,
    private readonly published: () => void,
    private readonly telemetry?: PublishTelemetry,
  ) {}

  /**
   * Not async (a Promise and a turn less per event), and never throws: whatever the event or the catalog's schema
   * does, the caller gets a rejected Promise of an RxPubsubError.
   */
  publish(event: unknown, options?: unknown): Promise<void> {
    let checked: Event;
    let validating: Promise<void> | undefined;
    let settings: CheckedPublishOptions | undefined;
    try {
      checked = ensureEvent(event);
      settings = checkedPublishOptions(options);
      // Last: a schema's Promise is not left to reject unheard when a check after it throws.
      validating = this.config.catalog?.checkOutgoing(checked);
    } catch (error) {
      return Promise.reject(invalidEventError(error));
    }
    return validating
      ? validating.then(
          () => this.send(checked, settings),
          (error: unknown) => Promise.reject(invalidEventError(error)),
        )
      : this.send(checked, settings);
  }

  /** The transport's publish, bound once: what telemetry wraps. */
  private readonly transportPublish = (message: OutboundMessage): Promise<void> => this.transport.publish(message);

  private send(event: Event, options: CheckedPublishOptions | undefined): Promise<void> {
    let message: OutboundMessage;
    try {
      message = {
        exchange: this.config.exchange,
        routingKey: routingKeyOf(event),
        // JSON.stringify throws past V8's longest string (RangeError), or on a BigInt that slipped past the checks.
        body: this.transport.encode?.(event) ?? eventJson(event),
        properties: wirePropertiesOf(event, this.config.wire, options),
        mandatory: options?.mandatory ?? this.config.mandatory,
        timeoutMs: this.config.publishTimeoutMs,
      };
    } catch (error) {
      return Promise.reject(invalidEventError(error));
    }
    try {
      const sent = this.telemetry ? this.telemetry.publish(message, this.transportPublish) : this.transport.publish(message);
      return sent.then(this.published, (error: unknown) => Promise.reject(publishFailure(error)));
    } catch (error) {
      return Promise.reject(publishFailure(error));
    }
  }
}
