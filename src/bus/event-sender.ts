import type { RxPubsubError } from '../errors.js';
import { ensureEvent, type Event, routingKeyOf } from '../event/event.js';
import { eventJson } from '../event/serializer.js';
import { type CheckedPublishOptions, checkedPublishOptions } from '../transport/publish-options.js';
import type { OutboundMessage, PublishCallback, Transport } from '../transport/transport.js';
import { wirePropertiesOf } from '../transport/wire-properties.js';
import { invalidEventError, publishFailure } from './checked-arguments.js';
import type { ResolvedOptions } from './options.js';
import type { PublishTelemetry } from '../telemetry/telemetry-hooks.js';

/**
 * `publish` from the event to the confirm: checked (the event rules, then the
 * catalog's schema, then the options), encoded by the transport (JSON unless it
 * says otherwise), sent with the wire properties, counted once confirmed.
 *
 * Callbacks inside, one Promise at the API: a Promise and its reactions per
 * message cost more than the rest of the client's work on it.
 */
export class EventSender {
  constructor(
    private readonly config: Pick<ResolvedOptions, 'catalog' | 'exchange' | 'wire' | 'mandatory' | 'publishTimeoutMs' | 'transport'>,
    private readonly transport: Transport,
    private readonly published: () => void,
    private readonly telemetry?: PublishTelemetry,
  ) {}

  /**
   * Not async (a Promise and a turn less per event), and never throws: whatever the event or the catalog's schema
   * does, the caller gets a rejected Promise of an RxPubsubError.
   */
  publish(event: unknown, options?: unknown): Promise<void> {
    let done: PublishCallback | undefined;
    const confirmed = new Promise<void>((resolve, reject) => (done = this.settler(resolve, reject)));
    this.send(event, options, done as PublishCallback);
    return confirmed;
  }

  // A function of its own: the callback, kept until the confirm, must not keep the event and its data alive.
  private settler(resolve: () => void, reject: (error: RxPubsubError) => void): PublishCallback {
    return (error) => {
      const failure = this.outcome(error);
      if (failure === undefined) resolve();
      else reject(failure);
    };
  }

  /**
   * {@link publish} with a callback, called once and never before `send` returned; read what it is given with
   * {@link outcome}, which counts a confirmed publish.
   */
  send(event: unknown, options: unknown, done: PublishCallback): void {
    let checked: Event;
    let validating: Promise<void> | undefined;
    let settings: CheckedPublishOptions | undefined;
    try {
      checked = ensureEvent(event);
      settings = checkedPublishOptions(options);
      // Last: a schema's Promise is not left to reject unheard when a check after it throws.
      validating = this.config.catalog?.checkOutgoing(checked);
    } catch (error) {
      return later(done, invalidEventError(error));
    }
    if (validating === undefined) return this.transmit(checked, settings, done);
    validating.then(
      () => this.transmit(checked, settings, done),
      (error: unknown) => done(invalidEventError(error)),
    );
  }

  /** What a {@link send} callback got: `undefined` once confirmed (and counted), else the RxPubsubError to report. */
  outcome(error: unknown): RxPubsubError | undefined {
    if (error !== undefined) return publishFailure(error);
    this.published();
    return undefined;
  }

  /** The transport's publish, bound once: what telemetry wraps. */
  private readonly transportPublish = (message: OutboundMessage): Promise<void> => this.transport.publish(message);

  private transmit(event: Event, options: CheckedPublishOptions | undefined, done: PublishCallback): void {
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
      return later(done, invalidEventError(error));
    }
    try {
      const { telemetry, transport } = this;
      // Telemetry wraps the Promise API; when nothing records (no SDK), the callback goes straight to the transport.
      if (telemetry?.recording()) settle(telemetry.publish(message, this.transportPublish), done);
      // A transport of the application's own may call back twice: the second call would count the publish again.
      else if (transport.publishWith) transport.publishWith(message, this.config.transport ? once(done) : done);
      else settle(transport.publish(message), done);
    } catch (error) {
      later(done, publishFailure(error)); // a transport's publish that throws (or returns no Promise)
    }
  }
}

/** `done`, called at most once: later calls are dropped. */
function once(done: PublishCallback): PublishCallback {
  let called = false;
  return (error) => {
    if (called) return;
    called = true;
    done(error);
  };
}

/** Calls `done` with `error` after this turn: a callback never comes before the call that took it returned. */
function later(done: PublishCallback, error: RxPubsubError): void {
  queueMicrotask(() => done(error));
}

/** A transport's Promise, into a callback; a rejection with `undefined` is still a failure. */
function settle(sent: Promise<void>, done: PublishCallback): void {
  sent.then(
    () => done(undefined),
    (error: unknown) => done(publishFailure(error)),
  );
}
