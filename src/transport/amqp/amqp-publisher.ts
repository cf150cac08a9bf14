import amqplib, { type ConfirmChannel, type Message, type Options } from 'amqplib';
import type { Observable } from 'rxjs';
import { ConnectionError, ErrorCode, messageOf, type RxPubsubError } from '../../errors.js';
import { ConsumerStatusKeeper } from '../consumer-status-keeper.js';
import type { Logger } from '../../logger.js';
import { redactText } from '../../redact-url.js';
import { messageRefusal } from '../message-limits.js';
import { bufferFullError, publishTimeoutError, refusedError, unroutableError, unsendableError } from '../publish-errors.js';
import { bodyBytes, type ConsumerStatus, type OutboundMessage } from '../transport.js';
import type { AmqpConnection } from './amqp-connection.js';
import { type ChannelClosed, ManagedChannel } from './managed-channel.js';
import { settledBy } from './settled-by.js';

interface Pending {
  readonly message: OutboundMessage;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly deadline: number;
  /** The channel it was last written to; its confirm is awaited there. */
  channel: ConfirmChannel | undefined;
  /** The broker returned it as unroutable (basic.return comes before its confirm). */
  returned: boolean;
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
/** How often deadlines are checked: one timer for all publishes, not one each. */
const SWEEP_MS = 100;

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
  private readonly waiting: Pending[] = [];
  private readonly unconfirmed = new Set<Pending>();
  /** Publishes not yet settled; `close()` waits for it to reach 0. */
  private outstanding = 0;
  private idle: (() => void) | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly options: AmqpPublisherOptions,
  ) {
    this.channel = new ManagedChannel<ConfirmChannel>(connection, {
      name: 'publish',
      confirm: true,
      setup: async (channel) => {
        channel.on('return', (message: Message) => this.onReturn(channel, message));
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
    if (this.closed) return Promise.reject(closedError());
    const refusal = messageRefusal(message, this.options.maxMessageBytes);
    if (refusal !== undefined) return Promise.reject(unsendableError(message, refusal));
    // Unconfirmed ones count too: on a stalled (half-open) connection they pile up just the same.
    if (this.waiting.length + this.unconfirmed.size >= this.options.maxPending) return Promise.reject(bufferFullError(this.options.maxPending));
    this.outstanding++;
    this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
    return new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + message.timeoutMs;
      this.waiting.push({ message, resolve, reject, deadline, channel: undefined, returned: false });
      if (this.waiting.length === 1) this.flush();
    });
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
    if (this.outstanding > 0) {
      const idle = new Promise<void>((resolve) => (this.idle = resolve));
      if (deadline === undefined) await idle;
      else if (!(await settledBy(idle, deadline))) this.abandon();
    }
    this.stopSweeping();
    await this.channel.close(closeBy());
    this.status.stopped();
  }

  // Past close's deadline: whatever the broker may still confirm, nobody waits for it.
  private abandon(): void {
    const error = new ConnectionError(ErrorCode.CLOSED, 'The bus closed before the broker confirmed this publish (close() deadline passed): it may or may not have been delivered');
    for (const pending of [...this.waiting, ...this.unconfirmed]) this.fail(pending, error);
    this.options.logger.warn({}, 'close() deadline passed: unconfirmed publishes rejected');
  }

  private flush(): void {
    const channel = this.channel.current;
    // While blocked, the broker reads nothing from a publishing connection: keep messages here, under our bound.
    if (!channel || this.connection.blocked) return;
    while (this.waiting.length > 0) {
      const pending = this.waiting.shift() as Pending;
      const { exchange, routingKey, body } = pending.message;
      pending.channel = channel;
      pending.returned = false;
      this.unconfirmed.add(pending);
      try {
        channel.publish(exchange, routingKey, bodyBytes(body), publishOptions(pending.message), (error) => {
          if (error && error.message === 'message nacked') return this.fail(pending, refusedError(pending.message, 'the broker nacked it'));
          if (error) return; // 'channel closed': decided in onChannelClosed, which knows why it closed
          if (pending.returned) return this.fail(pending, unroutableError(pending.message));
          this.succeed(pending);
        });
      } catch (error) {
        if (error instanceof amqplib.IllegalOperationError || this.channel.current !== channel) {
          // The channel died under us; put it back and wait for the next one.
          this.unconfirmed.delete(pending);
          this.waiting.unshift(pending);
          return;
        }
        // amqplib could not encode this one message (messageRefusal missed a case): it alone fails, the rest go on.
        this.fail(pending, unsendableError(pending.message, redactText(messageOf(error)), error));
      }
    }
  }

  private onReturn(channel: ConfirmChannel, message: Message): void {
    const { exchange, routingKey } = message.fields as { exchange: string; routingKey: string };
    for (const pending of this.unconfirmed) {
      const sent = pending.message;
      if (pending.channel === channel && !pending.returned && sent.mandatory && sent.exchange === exchange && sent.routingKey === routingKey) {
        pending.returned = true;
        return;
      }
    }
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
    for (const pending of this.unconfirmed) {
      if (pending.channel !== channel) continue;
      if (refused && culprit === undefined && blames(reason, pending.message)) {
        culprit = pending;
      } else {
        this.unconfirmed.delete(pending);
        resend.push(pending);
      }
    }
    // A missing exchange (404) is declared again with the next channel, so a retry may do; too large stays too
    // large, and a permission refused (403) or another precondition (406) stays refused until someone changes it.
    if (culprit) this.fail(culprit, refusedError(culprit.message, redactText(reason), code === 404));
    this.waiting.unshift(...resend);
  }

  private sweep(): void {
    const now = Date.now();
    for (const pending of [...this.waiting, ...this.unconfirmed]) {
      if (pending.deadline <= now) this.fail(pending, publishTimeoutError(pending.message, ' (is the broker reachable? raise publishTimeoutMs for long outages)'));
    }
  }

  private stopSweeping(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private succeed(pending: Pending): void {
    if (!this.unconfirmed.delete(pending)) return;
    pending.resolve();
    this.settled();
  }

  private fail(pending: Pending, error: unknown): void {
    const index = this.waiting.indexOf(pending);
    if (index !== -1) this.waiting.splice(index, 1);
    if (!this.unconfirmed.delete(pending) && index === -1) return;
    pending.reject(error);
    this.settled();
  }

  private settled(): void {
    if (--this.outstanding > 0) return;
    this.stopSweeping();
    this.idle?.();
  }
}

/**
 * amqplib's publish options, written out field by field: built with a spread
 * (`{ ...properties, mandatory }`), amqplib's option parsing took ~4 µs per
 * message instead of ~0.2 µs (V8 reads the missing options slowly on such an object).
 */
function publishOptions({ properties: p, mandatory }: OutboundMessage): Options.Publish {
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
    mandatory: mandatory ?? false,
  } as Options.Publish;
}

/** Whether the broker's close reason fits this message: its exchange, its size, or nothing to compare. */
function blames(reason: string, message: OutboundMessage): boolean {
  // Up to "' in vhost": a name may hold quotes. RabbitMQ names the default exchange 'amq.default' in its reasons.
  const exchange = /exchange '(.*?)' in vhost/.exec(reason)?.[1];
  if (exchange !== undefined) return exchange === (message.exchange === '' ? 'amq.default' : message.exchange);
  const size = /message size (\d+)/.exec(reason)?.[1];
  if (size !== undefined) return Number(size) === (typeof message.body === 'string' ? Buffer.byteLength(message.body) : message.body.length);
  return true;
}

function closedError(): ConnectionError {
  return new ConnectionError(ErrorCode.CLOSED, 'The bus is closed: publish before close(), or connect a new bus');
}
