import amqplib, { type ConfirmChannel, type Message, type Options } from 'amqplib';
import type { Observable } from 'rxjs';
import { messageOf, type RxPubsubError } from '../../errors.js';
import { closedError } from '../closed-error.js';
import { ConsumerStatusKeeper } from '../consumer-status-keeper.js';
import type { Logger } from '../../logger.js';
import { redactText } from '../../redact-url.js';
import { messageRefusal } from '../message-limits.js';
import { type HeldPublish, PublishBuffer, wallClock } from '../publish-buffer.js';
import { publishTimeoutError, refusedError, unroutableError, unsendableError } from '../publish-errors.js';
import { bodyBytes, type ConsumerStatus, type OutboundMessage, type PublishCallback, type PublisherStatus } from '../transport.js';
import type { AmqpConnection } from './amqp-connection.js';
import { ConfirmWindow } from './confirm-window.js';
import { type ChannelClosed, ManagedChannel } from './managed-channel.js';
import { returnedPublish } from './returned-publish.js';

type Pending = HeldPublish<ConfirmChannel>;

/** The fields of a basic.ack or basic.nack from the broker, as amqplib's channel emits them. */
interface Confirm {
  readonly deliveryTag: number;
  readonly multiple: boolean;
}

export interface AmqpPublisherOptions {
  readonly setup: (channel: ConfirmChannel) => Promise<void>;
  /** The typed error a setup failure is reported as on `status$`. */
  readonly setupError: (cause: unknown) => RxPubsubError;
  /** Publishes that may wait for the connection before `publish` rejects. */
  readonly maxPending: number;
  /** Larger bodies are refused before sending (see message-limits.ts). */
  readonly maxMessageBytes: number;
  readonly logger: Logger;
  /** Called when a channel the broker had closed (a refused publish) is open and set up again. */
  readonly onRepaired?: () => void;
}

/** Reply codes with which the broker closes a channel because of one publish. */
const REFUSAL_CODES = new Set([403, 404, 406]);

/**
 * Confirmed, persistent publishing on a channel of its own. Messages wait
 * (bounded by `maxPending`) while the connection is down or blocked by a
 * broker alarm, and go out on reconnect; a message whose confirm was cut off
 * by a connection loss is sent again (at-least-once). A publish the broker
 * refuses rejects with PUBLISH_REFUSED, and the channel is reopened for the
 * next ones; a mandatory one that reaches no queue rejects with PUBLISH_UNROUTABLE.
 */
export class AmqpPublisher {
  private readonly channel: ManagedChannel<ConfirmChannel>;
  private readonly status = new ConsumerStatusKeeper();
  /** `failing` while the publish channel cannot be set up (the exchange exists with another type, say); `consuming` means ready to publish. */
  readonly status$: Observable<ConsumerStatus> = this.status.status$;
  /** Waiting for the channel, then unconfirmed (`inFlight`); unconfirmed ones count towards the bound too: on a stalled (half-open) connection they pile up just the same. */
  private readonly buffer: PublishBuffer<ConfirmChannel>;
  /** The in-flight ones of the current channel by delivery tag, for its confirms. */
  private readonly window = new ConfirmWindow<ConfirmChannel, Pending>((pending) => !pending.settled);
  private closed = false;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly options: AmqpPublisherOptions,
  ) {
    this.buffer = new PublishBuffer({
      clock: wallClock,
      maxPending: options.maxPending,
      timeoutError: (message) => publishTimeoutError(message, ' (is the broker reachable? raise publishTimeoutMs for long outages)'),
    });
    this.channel = new ManagedChannel<ConfirmChannel>(connection, {
      name: 'publish',
      confirm: true,
      setup: async (channel) => {
        channel.on('return', (message: Message) => this.onReturn(channel, message));
        channel.on('ack', (fields: Confirm) => this.window.answered(channel, fields.deliveryTag, fields.multiple, this.acked));
        channel.on('nack', (fields: Confirm) => this.window.answered(channel, fields.deliveryTag, fields.multiple, this.nacked));
        await options.setup(channel);
      },
      reopenDelayMs: 50,
      logger: options.logger,
    });
    let brokerClosed = false;
    this.channel.opened$.subscribe(() => {
      this.status.consuming();
      if (brokerClosed) options.onRepaired?.();
      brokerClosed = false;
      this.flush();
    });
    this.channel.setupFailed$.subscribe((error) => this.status.failing(options.setupError(error)));
    this.channel.closed$.subscribe((closed) => {
      brokerClosed ||= closed.code !== undefined;
      this.onChannelClosed(closed);
    });
    connection.state$.subscribe((state) => state.status === 'connected' && this.flush());
  }

  /** Resolves once the broker confirmed the message. */
  publish(message: OutboundMessage): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- The callback's errors are RxPubsubErrors (see PublishBuffer)
    return new Promise<void>((resolve, reject) => this.publishWith(message, (error) => (error === undefined ? resolve() : reject(error))));
  }

  /** {@link publish} with a callback, called once and never before it returned (see {@link Transport.publishWith}). */
  publishWith(message: OutboundMessage, done: PublishCallback): void {
    const refused = this.closed ? closedError() : this.refusal(message, done);
    if (refused !== undefined) {
      queueMicrotask(() => done(refused));
      return;
    }
    if (this.buffer.waiting === 1) this.flush();
  }

  /** Holds `message`, or says why not (the broker would refuse it, the buffer is full). */
  private refusal(message: OutboundMessage, done: PublishCallback): RxPubsubError | undefined {
    const refusal = messageRefusal(message, this.options.maxMessageBytes);
    return refusal === undefined ? this.buffer.holdWith(message, done) : unsendableError(message, refusal);
  }

  /** What it holds (waiting, and sent but unconfirmed) and whether the broker blocks its connection. */
  publisherStatus(): PublisherStatus {
    const unconfirmed = this.buffer.inFlight.size;
    return { buffered: this.buffer.size - unconfirmed, unconfirmed, blocked: this.connection.blocked };
  }

  /** The channel whose setup is done, for callers that need to wait for topology. */
  ready(): Promise<ConfirmChannel> {
    return this.channel.ready();
  }

  /**
   * Waits for every outstanding confirm (each bounded by its timeout, all by
   * `deadline` when given: past it they reject with CLOSED), then closes the
   * channel, waiting for the broker until `closeBy()` at most.
   */
  async close(deadline: number | undefined, closeBy: () => number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const drained = await this.buffer.drain(deadline === undefined ? undefined : deadline - Date.now());
    if (!drained) this.options.logger.warn({}, 'close() deadline passed: unconfirmed publishes rejected');
    await this.channel.close(closeBy());
    this.status.stopped();
  }

  private flush(): void {
    const channel = this.channel.current;
    // While blocked, the broker reads nothing from a publishing connection: keep messages here, under our bound.
    if (!channel || this.connection.blocked) return;
    const buffer = this.buffer;
    for (let pending = buffer.next(); pending !== undefined; pending = buffer.next()) {
      const { exchange, routingKey, body } = pending.message;
      buffer.sent(pending, channel);
      try {
        // No callback: its confirm comes through the channel's `ack`/`nack` events, by tag (see ConfirmWindow).
        channel.publish(exchange, routingKey, bodyBytes(body), publishOptions(pending.message));
        this.window.add(channel, pending);
      } catch (error) {
        if (error instanceof amqplib.IllegalOperationError || this.channel.current !== channel) {
          // The channel died under us; put it back and wait for the next one.
          buffer.putBack([pending]);
          return;
        }
        // amqplib could not encode this one message (messageRefusal missed a case): it alone fails, the rest go on,
        // told after this turn (a flush runs inside `publishWith`, whose callback must not come before it returned).
        const failure = unsendableError(pending.message, redactText(messageOf(error)), error);
        queueMicrotask(() => buffer.settle(pending, failure));
      }
    }
  }

  /** The broker confirmed it: it reached every queue it was routed to, or none when it was returned first (mandatory). */
  private readonly acked = (pending: Pending): void => {
    if (pending.returned) this.buffer.settle(pending, unroutableError(pending.message));
    else this.buffer.confirmed(pending);
  };

  private readonly nacked = (pending: Pending): void => {
    this.buffer.settle(pending, refusedError(pending.message, 'the broker nacked it'));
  };

  private onReturn(channel: ConfirmChannel, message: Message): void {
    const { exchange, routingKey } = message.fields as { exchange: string; routingKey: string };
    const messageId = (message.properties as { messageId?: unknown }).messageId;
    const returned = { exchange, routingKey, messageId: typeof messageId === 'string' ? messageId : undefined };
    const pending = returnedPublish(this.buffer.inFlight, channel, returned);
    if (pending) pending.returned = true;
  }

  /**
   * The broker closed a channel. With a refusal code (403, 404, 406) one publish caused it, and only
   * that one is refused; every other unconfirmed one is sent again on the next channel:
   *
   * - the broker handles a channel's publishes in order and stops at the one it refuses, so the
   *   culprit is the FIRST unconfirmed publish (in the order written) that fits the reason: those
   *   before it were handled (their confirms still on the way, or lost with the channel: a resend
   *   may duplicate them, at-least-once), those after it were never looked at;
   * - it fits when the reason names its exchange (`no exchange 'x'`, `access to exchange 'x'`), or
   *   gives its size (`message size N is larger than ...`), or names nothing we can compare.
   *
   * Resent ones that hit the same fault meet the same rule on the next channel, one at a time.
   */
  private onChannelClosed({ channel, code, reason }: ChannelClosed<ConfirmChannel>): void {
    const refused = code !== undefined && REFUSAL_CODES.has(code);
    let culprit: Pending | undefined;
    const resend: Pending[] = [];
    for (const pending of this.buffer.inFlight) {
      if (pending.sentOn !== channel) continue;
      if (refused && culprit === undefined && blames(reason, pending.message)) culprit = pending;
      else resend.push(pending);
    }
    // A missing exchange (404) is declared again with the next channel, so a retry may do; too large stays too
    // large, and a permission refused (403) or another precondition (406) stays refused until someone changes it.
    if (culprit) this.buffer.settle(culprit, refusedError(culprit.message, redactText(reason), code === 404));
    this.buffer.putBack(resend);
  }
}

/**
 * amqplib's publish options, written out field by field: built with a spread
 * (`{ ...properties, mandatory }`), amqplib's option parsing took ~4 µs per
 * message instead of ~0.2 µs (V8 reads the missing options slowly on such an object).
 */
export function publishOptions({ properties: p, mandatory }: OutboundMessage): Options.Publish {
  return {
    contentType: p.contentType,
    contentEncoding: p.contentEncoding,
    headers: p.headers,
    deliveryMode: p.deliveryMode,
    messageId: p.messageId,
    correlationId: p.correlationId,
    type: p.type,
    timestamp: p.timestamp,
    appId: p.appId,
    userId: p.userId,
    expiration: p.expiration,
    priority: p.priority,
    mandatory: mandatory ?? false,
  };
}

/** Whether the broker's close reason fits this message: its exchange, its size, or nothing to compare. */
function blames(reason: string, message: OutboundMessage): boolean {
  // Up to "' in vhost": a name may hold quotes. RabbitMQ names the default exchange 'amq.default' in its reasons.
  const exchange = /exchange '(.*?)' in vhost/.exec(reason)?.[1];
  if (exchange !== undefined) return exchange === (message.exchange === '' ? 'amq.default' : message.exchange);
  const size = /message size (\d+)/.exec(reason)?.[1];
  if (size !== undefined)
    return Number(size) === (typeof message.body === 'string' ? Buffer.byteLength(message.body) : message.body.length);
  return true;
}
