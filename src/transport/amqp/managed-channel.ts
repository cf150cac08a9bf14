import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { Subject, type Subscription } from 'rxjs';
import { messageOf } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { AmqpConnection } from './amqp-connection.js';
import { settledBy } from './settled-by.js';
import { redactText } from '../../redact-url.js';

/** The longest wait between two attempts to set a channel up again. */
const MAX_REOPEN_DELAY_MS = 30_000;

/** Why a channel closed: the AMQP reply code (404, 406, ...) when the broker closed it. */
export interface ChannelClosed<C> {
  readonly channel: C;
  readonly code: number | undefined;
  readonly reason: string;
}

export interface ManagedChannelOptions<C extends Channel> {
  readonly name: string;
  readonly confirm: C extends ConfirmChannel ? true : boolean;
  /** Declares topology and starts consumers on each new channel; a rejection closes the channel and is retried. */
  readonly setup: (channel: C) => Promise<void>;
  /** Wait before reopening a channel the broker closed while the connection stayed up. */
  readonly reopenDelayMs: number;
  /**
   * Whether a setup failure is one the broker ends on its own (a stream replica starting after a
   * restart): retried every `reopenDelayMs` instead of less and less often. @default none: every failure backs off
   */
  readonly transient?: (error: unknown) => boolean;
  readonly logger: Logger;
}

/**
 * Keeps one amqplib channel open for as long as the connection is: opened on
 * every (re)connect and reopened when the broker closes it alone (a stale ack,
 * a refused publish, a consumer timeout). amqp-connection-manager's
 * ChannelWrapper would wait for the next reconnect instead, and its ack() acks
 * on whatever channel is current; here each channel is handed out by identity.
 */
export class ManagedChannel<C extends Channel> {
  private channel: C | undefined;
  private waiters: { resolve: (c: C) => void; reject: (e: unknown) => void }[] = [];
  private reopenTimer: NodeJS.Timeout | undefined;
  private readonly subscription: Subscription;
  private closed = false;

  /** Emits each channel once its setup succeeded. */
  readonly opened$ = new Subject<C>();
  /** Emits each setup failure; the channel is then reopened after a delay that doubles each time. */
  readonly setupFailed$ = new Subject<unknown>();
  /** Setup failures in a row, for the back-off; 0 once a setup succeeded. */
  private failures = 0;
  private lastFailure: string | undefined;
  /** Emits each channel that closed, with the broker's reason. */
  readonly closed$ = new Subject<ChannelClosed<C>>();

  constructor(
    private readonly connection: AmqpConnection,
    private readonly options: ManagedChannelOptions<C>,
  ) {
    this.subscription = connection.connection$.subscribe((model) => {
      if (model) void this.open(model);
    });
  }

  /** The open channel, set up, if any. */
  get current(): C | undefined {
    return this.channel;
  }

  /** Resolves with the next channel whose setup succeeded; rejects with the setup's error if it failed. */
  ready(): Promise<C> {
    if (this.channel) return Promise.resolve(this.channel);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Closes the current channel (if any) so that a fresh one is opened and set up. */
  reopen(): void {
    const channel = this.channel;
    this.channel = undefined;
    if (channel) channel.close().catch(() => undefined);
    this.scheduleReopen();
  }

  /** Closes the channel, waiting for the broker's answer until `deadline` (epoch ms) at most. */
  async close(deadline: number): Promise<void> {
    this.closed = true;
    clearTimeout(this.reopenTimer);
    this.subscription.unsubscribe();
    const channel = this.channel;
    this.channel = undefined;
    // Past the deadline the channel is left to its connection, which is destroyed.
    if (channel) await settledBy(channel.close(), deadline);
    this.settleWaiters(new Error(`${this.options.name} channel closed`));
    this.opened$.complete();
    this.setupFailed$.complete();
    this.closed$.complete();
  }

  private async open(model: ChannelModel): Promise<void> {
    const { logger, name } = this.options;
    let channel: C;
    try {
      channel = (await (this.options.confirm ? model.createConfirmChannel() : model.createChannel())) as unknown as C;
    } catch (error) {
      logger.debug({ channel: name, reason: redactText(messageOf(error)) }, 'could not open channel');
      return; // the connection is going down; the next connect opens again
    }
    let closeCode: number | undefined;
    let closeReason = 'closed';
    channel.on('error', (error: Error & { code?: number }) => {
      closeCode = error.code;
      closeReason = redactText(error.message);
    });
    channel.on('close', () => this.onClose({ channel, code: closeCode, reason: closeReason }, model));
    try {
      await this.options.setup(channel);
    } catch (error) {
      this.setupFailed(error);
      channel.close().catch(() => undefined);
      const delayMs = this.options.transient?.(error) === true ? this.options.reopenDelayMs : this.backoffMs();
      if (this.connection.connection === model) this.scheduleReopen(delayMs);
      return;
    }
    if (this.closed) return void channel.close().catch(() => undefined);
    if (this.failures > 0) logger.info({ channel: name, failures: this.failures }, 'channel setup succeeded again');
    this.failures = 0;
    this.lastFailure = undefined;
    this.channel = channel;
    this.settleWaiters(undefined, channel);
    this.opened$.next(channel);
  }

  private onClose(event: ChannelClosed<C>, model: ChannelModel): void {
    const wasCurrent = this.channel === event.channel;
    if (wasCurrent) this.channel = undefined;
    this.closed$.next(event);
    // Only a close by the broker (it carries a reply code) is ours to repair: without one, the
    // connection is going down (or we closed the channel), and the next connect reopens it.
    // A channel closed during its setup is reopened by the setup's failure, with its back-off.
    if (!this.closed && wasCurrent && event.code !== undefined && this.connection.connection === model) {
      this.options.logger.warn(
        { channel: this.options.name, code: event.code, reason: event.reason },
        'channel closed by the broker; reopening',
      );
      this.scheduleReopen();
    }
  }

  // A setup that fails fails the same way until someone changes the broker (a queue re-declared with other
  // arguments): log each new reason once at error level, not every retry, and retry less and less often.
  private setupFailed(error: unknown): void {
    const reason = redactText(messageOf(error));
    this.failures++;
    const fields = { channel: this.options.name, reason, failures: this.failures, retryInMs: this.backoffMs() };
    if (reason === this.lastFailure) this.options.logger.debug(fields, 'channel setup failed again');
    else this.options.logger.error(fields, 'channel setup failed; retrying');
    this.lastFailure = reason;
    this.settleWaiters(error);
    this.setupFailed$.next(error);
  }

  private backoffMs(): number {
    return Math.min(this.options.reopenDelayMs * 2 ** Math.max(0, this.failures - 1), MAX_REOPEN_DELAY_MS);
  }

  private scheduleReopen(delayMs = this.options.reopenDelayMs): void {
    clearTimeout(this.reopenTimer);
    this.reopenTimer = setTimeout(() => {
      const model = this.connection.connection;
      if (model && !this.closed && !this.channel) void this.open(model);
    }, delayMs);
  }

  private settleWaiters(error: unknown, channel?: C): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      if (channel) waiter.resolve(channel);
      else waiter.reject(error);
    }
  }
}
