import type { Channel, ChannelModel, ConfirmChannel, Message } from 'amqplib';
import { ConnectionError, ErrorCode, messageOf, type RxPubsubError } from '../errors.js';
import { redactText } from '../redact-url.js';
import { publishOptions } from '../transport/amqp/amqp-publisher.js';
import { publishTimeoutError, refusedError, unsendableError } from '../transport/publish-errors.js';
import { bodyBytes, type OutboundMessage } from '../transport/transport.js';
import type { DeadLetterSession, HeldLetter, LetterConsumer, PublishResult } from './dead-letter-queue.js';

/** A delivery of the session's channel, as a letter; the amqplib message its ack needs is kept beside it. */
function letterOf(message: Message): HeldLetter {
  const { content: body, properties, fields } = message;
  return { body, properties, exchange: fields.exchange, routingKey: fields.routingKey };
}

interface Unconfirmed {
  readonly message: OutboundMessage;
  readonly body: Buffer;
  returned: boolean;
}

/** How long `release` waits for the broker to have put back what the session held. */
const GIVE_BACK_MS = 5_000;
const POLL_MS = 10;

/**
 * A session over amqplib: one channel reads (manual acks; closing it gives
 * back every delivery not acked) and a confirm channel publishes. Both are
 * the session's own: `release` closes them.
 */
export class AmqpDeadLetterSession implements DeadLetterSession {
  private reading: Channel | undefined;
  private openingReader: Promise<Channel> | undefined;
  private publishing: Promise<ConfirmChannel> | undefined;
  private released = false;
  private readonly unconfirmed: Unconfirmed[] = [];
  private readonly lostListeners = new Set<(error: Error) => void>();
  private readonly messages = new WeakMap<HeldLetter, Message>();
  /** Deliveries of the reading channel not acked: what closing it gives back. */
  private held = 0;
  /** The reading channel's consumers not cancelled yet: `release` cancels them before it gives the held letters back. */
  private readonly consumerTags = new Set<string>();
  /** Why the broker closed the publish channel, for the publishes it took down. */
  private publishClosedBy: string | undefined;

  constructor(
    private readonly model: ChannelModel,
    private readonly queue: string,
  ) {}

  async readyCount(): Promise<number> {
    return (await this.counts()).messageCount;
  }

  async consumerCount(): Promise<number> {
    return (await this.counts()).consumerCount;
  }

  async consume(prefetch: number, deliver: (letter: HeldLetter) => void, lost: (error: Error) => void): Promise<LetterConsumer> {
    const channel = await this.reader();
    await call(() => channel.prefetch(prefetch), 'set the prefetch');
    this.lostListeners.add(lost);
    const { consumerTag } = await call(
      () =>
        channel.consume(
          this.queue,
          (message) => {
            if (message !== null) {
              const letter = letterOf(message);
              this.messages.set(letter, message);
              this.held++;
              return deliver(letter);
            }
            if (!this.released)
              lost(new ConnectionError(ErrorCode.TOPOLOGY_FAILED, `The broker cancelled the consumer of "${this.queue}" (deleted?)`));
          },
          { noAck: false },
        ),
      'read the dead letters',
    );
    this.consumerTags.add(consumerTag);
    return {
      cancel: async () => {
        this.lostListeners.delete(lost);
        this.consumerTags.delete(consumerTag);
        if (!this.released && this.reading === channel) await call(() => channel.cancel(consumerTag), 'cancel a consumer');
      },
    };
  }

  ack(letter: HeldLetter): void {
    // A closed channel already gave its deliveries back: acking there would throw, and could only fail.
    const message = this.messages.get(letter);
    if (this.released || this.reading === undefined || message === undefined) return;
    this.messages.delete(letter);
    this.held--;
    this.reading.ack(message);
  }

  async acksProcessed(): Promise<void> {
    // The broker handles a channel's frames in order: its answer to this call comes after every earlier ack was applied.
    if (this.reading !== undefined) await this.readyCount();
  }

  async publish(message: OutboundMessage): Promise<PublishResult> {
    const channel = await this.publisher();
    const body = bodyBytes(message.body);
    return new Promise<PublishResult>((resolve, reject) => {
      const pending: Unconfirmed = { message, body, returned: false };
      this.unconfirmed.push(pending);
      const settle = (): void => {
        clearTimeout(timer);
        const index = this.unconfirmed.indexOf(pending);
        if (index !== -1) this.unconfirmed.splice(index, 1);
      };
      const timer = setTimeout(() => {
        settle();
        reject(publishTimeoutError(message, ': is the broker under a resource alarm?'));
      }, message.timeoutMs);
      try {
        channel.publish(message.exchange, message.routingKey, body, publishOptions(message), (error: unknown) => {
          settle();
          if (error === null || error === undefined) return resolve(pending.returned ? 'unroutable' : 'routed');
          const reason = messageOf(error) === 'message nacked' ? 'the broker nacked it' : (this.publishClosedBy ?? messageOf(error));
          reject(refusedError(message, redactText(reason)));
        });
      } catch (error) {
        settle();
        reject(unsendableError(message, redactText(messageOf(error)), error));
      }
    });
  }

  async release(): Promise<void> {
    if (this.released) return;
    const ready = this.held > 0 && this.reading !== undefined ? await this.readyCount().catch(() => undefined) : undefined;
    this.released = true;
    this.lostListeners.clear();
    const reading = this.openingReader?.catch(() => undefined);
    const publishing = this.publishing?.catch(() => undefined);
    // Closing the reading channel is what gives the held deliveries back. Seen once on a loaded CI run: a purge of
    // 400 of 1,200 letters of a quorum queue left 367 of the acked ones (likely: a quorum queue applies acks behind
    // its other work, and the channel's close overtook them). Giving the held ones back first, with one nack of them
    // all, sends that return on the channel behind its acks, as an ack is sent (not reproduced on demand: a guard).
    const readingChannel = await reading;
    if (readingChannel !== undefined && this.held > 0) await giveBackHeld(readingChannel, [...this.consumerTags]);
    await readingChannel?.close().catch(() => {});
    await (await publishing)?.close().catch(() => {});
    if (ready !== undefined) await this.givenBack(ready + this.held);
  }

  /**
   * Waits (bounded) until `ready` messages are ready again. A quorum queue
   * puts back what a closed channel held after the close completed
   * (RabbitMQ 3.10 measured): without this wait, the next operation would
   * find the queue empty.
   */
  private async givenBack(ready: number): Promise<void> {
    let channel: Channel | undefined;
    try {
      channel = await this.model.createChannel();
      channel.on('error', () => {});
      for (const deadline = Date.now() + GIVE_BACK_MS; Date.now() < deadline;) {
        if ((await channel.checkQueue(this.queue)).messageCount >= ready) return;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } catch {
      // The connection or the queue is gone: the broker gives the messages back (or lost the queue) without us.
    } finally {
      await channel?.close().catch(() => {});
    }
  }

  private async counts(): Promise<{ messageCount: number; consumerCount: number }> {
    const channel = await this.reader();
    return call(() => channel.checkQueue(this.queue), 'count the dead letters');
  }

  private reader(): Promise<Channel> {
    if (this.released) return Promise.reject(releasedError());
    this.openingReader ??= call(() => this.model.createChannel(), 'open a channel').then((channel) => {
      this.reading = channel;
      channel.on('error', () => {});
      channel.on('close', () => {
        this.reading = undefined;
        if (this.released) return;
        const error = new ConnectionError(ErrorCode.CONNECTION_FAILED, 'The channel reading the dead letters closed (connection lost?)');
        for (const lost of [...this.lostListeners]) lost(error);
      });
      return channel;
    });
    return this.openingReader;
  }

  private publisher(): Promise<ConfirmChannel> {
    if (this.released) return Promise.reject(releasedError());
    this.publishing ??= call(() => this.model.createConfirmChannel(), 'open a confirm channel').then((channel) => {
      channel.on('error', (error: unknown) => (this.publishClosedBy = messageOf(error)));
      channel.on('return', (message: Message) => this.onReturn(message));
      return channel;
    });
    return this.publishing;
  }

  // The broker returns an unroutable mandatory message before confirming it: the copy it returns is marked.
  private onReturn({ fields, content, properties }: Message): void {
    const pending = this.unconfirmed.find(
      ({ message, body, returned }) =>
        !returned &&
        message.exchange === fields.exchange &&
        message.routingKey === fields.routingKey &&
        message.properties.messageId === (properties.messageId as string | undefined) &&
        body.equals(content),
    );
    if (pending !== undefined) pending.returned = true;
  }
}

/** Cancels the consumers (so that what is given back is not delivered again), then gives back every held delivery. */
async function giveBackHeld(channel: Channel, consumerTags: readonly string[]): Promise<void> {
  try {
    for (const tag of consumerTags) await channel.cancel(tag);
    channel.nackAll(true);
  } catch {
    // The channel is closed already: the broker gave them back.
  }
}

/** The AMQP reply code of a channel or connection error (404, 406...), if any. */
export function replyCodeOf(error: unknown): number | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'number' ? code : undefined;
}

/** A broker failure while doing `what`, as a typed error without credentials. */
export function brokerError(error: unknown, what: string): RxPubsubError {
  if (error instanceof ConnectionError) return error;
  const reason = redactText(messageOf(error));
  return new ConnectionError(ErrorCode.CONNECTION_FAILED, `Could not ${what} on RabbitMQ: ${reason}`, { cause: new Error(reason) });
}

async function call<T>(work: () => Promise<T>, what: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw brokerError(error, what);
  }
}

function releasedError(): ConnectionError {
  return new ConnectionError(ErrorCode.CLOSED, 'The dead-letter session was released');
}
