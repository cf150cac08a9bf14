import type { ConfirmChannel } from 'amqplib';
import { ConnectionError, ErrorCode, PublishError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { OutboundMessage } from '../transport.js';
import type { AmqpConnection } from './amqp-connection.js';
import { type ChannelClosed, ManagedChannel } from './managed-channel.js';

interface Pending {
  readonly message: OutboundMessage;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly timer: NodeJS.Timeout;
  /** The channel it was last written to; its confirm is awaited there. */
  channel: ConfirmChannel | undefined;
}

/** Reply codes with which the broker closes a channel because of one publish. */
const REFUSAL_CODES = new Set([403, 404, 406]);

/**
 * Confirmed, persistent publishing on a channel of its own. Messages wait
 * while the connection is down and go out on reconnect; a message whose
 * confirm was cut off by a connection loss is sent again (at-least-once).
 * A publish the broker refuses rejects with PUBLISH_REFUSED, and the channel
 * is reopened for the next ones.
 */
export class AmqpPublisher {
  private readonly channel: ManagedChannel<ConfirmChannel>;
  private readonly waiting: Pending[] = [];
  private readonly unconfirmed = new Set<Pending>();
  private readonly outstanding = new Set<Promise<void>>();
  private closed = false;

  constructor(connection: AmqpConnection, setup: (channel: ConfirmChannel) => Promise<void>, logger: Logger) {
    this.channel = new ManagedChannel<ConfirmChannel>(connection, {
      name: 'publish',
      confirm: true,
      setup,
      reopenDelayMs: 50,
      logger,
    });
    this.channel.opened$.subscribe(() => this.flush());
    this.channel.closed$.subscribe((closed) => this.onChannelClosed(closed));
  }

  /** Resolves once the broker confirmed the message. */
  publish(message: OutboundMessage): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    const confirmed = new Promise<void>((resolve, reject) => {
      const pending: Pending = {
        message,
        resolve,
        reject,
        channel: undefined,
        timer: setTimeout(() => this.fail(pending, timeoutError(message)), message.timeoutMs),
      };
      this.waiting.push(pending);
      if (this.waiting.length === 1) this.flush();
    });
    this.outstanding.add(confirmed);
    const forget = () => void this.outstanding.delete(confirmed);
    confirmed.then(forget, forget);
    return confirmed;
  }

  /** The channel whose setup is done, for callers that need to wait for topology. */
  ready(): Promise<ConfirmChannel> {
    return this.channel.ready();
  }

  /** Waits for every outstanding confirm (each bounded by its timeout), then closes the channel. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.outstanding]);
    await this.channel.close();
  }

  private flush(): void {
    const channel = this.channel.current;
    if (!channel) return;
    while (this.waiting.length > 0) {
      const pending = this.waiting.shift() as Pending;
      const { exchange, routingKey, body, properties, mandatory } = pending.message;
      pending.channel = channel;
      this.unconfirmed.add(pending);
      try {
        channel.publish(exchange, routingKey, body, { ...properties, mandatory: mandatory ?? false } as never, (error) => {
          if (!error) return this.succeed(pending);
          if (error.message === 'message nacked') return this.fail(pending, refusedError(pending.message, 'the broker nacked it'));
          // 'channel closed': decided in onChannelClosed, which knows why it closed.
        });
      } catch {
        // The channel died under us; put it back and wait for the next one.
        this.unconfirmed.delete(pending);
        this.waiting.unshift(pending);
        return;
      }
    }
  }

  private onChannelClosed({ channel, code, reason }: ChannelClosed<ConfirmChannel>): void {
    const refused = code !== undefined && REFUSAL_CODES.has(code);
    const resend: Pending[] = [];
    for (const pending of this.unconfirmed) {
      if (pending.channel !== channel) continue;
      this.unconfirmed.delete(pending);
      if (refused && blames(reason, pending.message)) this.fail(pending, refusedError(pending.message, reason));
      else resend.push(pending);
    }
    this.waiting.unshift(...resend);
  }

  private succeed(pending: Pending): void {
    clearTimeout(pending.timer);
    this.unconfirmed.delete(pending);
    pending.resolve();
  }

  private fail(pending: Pending, error: unknown): void {
    clearTimeout(pending.timer);
    this.unconfirmed.delete(pending);
    const index = this.waiting.indexOf(pending);
    if (index !== -1) this.waiting.splice(index, 1);
    pending.reject(error);
  }
}

/** Whether the broker's close reason names this message's exchange (or names none). */
function blames(reason: string, message: OutboundMessage): boolean {
  const named = /exchange '([^']*)'/.exec(reason)?.[1];
  return named === undefined || named === message.exchange;
}

function refusedError(message: OutboundMessage, reason: string): PublishError {
  return new PublishError(
    ErrorCode.PUBLISH_REFUSED,
    `The broker refused the publish of "${message.routingKey}" to exchange "${message.exchange}": ${reason}`,
    { retriable: true },
  );
}

function timeoutError(message: OutboundMessage): PublishError {
  return new PublishError(
    ErrorCode.PUBLISH_TIMEOUT,
    `No confirm for "${message.routingKey}" within ${message.timeoutMs} ms (is the broker reachable? raise publishTimeoutMs for long outages)`,
    { retriable: true },
  );
}

function closedError(): ConnectionError {
  return new ConnectionError(ErrorCode.CLOSED, 'The bus is closed: publish before close(), or connect a new bus');
}
