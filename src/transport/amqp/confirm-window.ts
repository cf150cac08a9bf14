import { Deque } from '../deque.js';

/**
 * The publishes sent on one confirm channel, by delivery tag. The broker
 * numbers a channel's publishes 1, 2, 3… and confirms them by that number:
 * one tag, or every tag up to it (`multiple`). Looked up here from the
 * channel's `ack` and `nack` events rather than through a callback per
 * publish: at a window of 1,000 unconfirmed messages, a closure and its
 * context each is memory that survives every young-generation collection.
 *
 * A new channel starts at tag 1, so the window follows one channel at a time;
 * answers from any other are ignored (its publishes were dealt with when it closed).
 */
export class ConfirmWindow<C, T> {
  private channel: C | undefined;
  private readonly sent = new Deque<T>();
  /** The tag of the head of `sent`. */
  private firstTag = 1;

  /** `pending` says whether an item still waits for its answer (not settled some other way: timed out, say). */
  constructor(private readonly pending: (item: T) => boolean) {}

  /** `item` was published on `channel` (the call returned): it has the channel's next tag. */
  add(channel: C, item: T): void {
    if (channel !== this.channel) {
      this.channel = channel;
      this.sent.clear();
      this.firstTag = 1;
    }
    this.sent.push(item);
  }

  /** The broker answered `tag` on `channel` (with `multiple`, every tag up to it): `each` is called on each one still pending, in tag order. */
  answered(channel: C, tag: number, multiple: boolean, each: (item: T) => void): void {
    if (channel !== this.channel) return;
    if (multiple) {
      while (this.sent.length > 0 && this.firstTag <= tag) this.answer(this.shift(), each);
      return;
    }
    const item = this.sent.at(tag - this.firstTag);
    if (item !== undefined) this.answer(item, each);
    // Out of order, it stays in place (tags are positions); the head goes once nothing before it waits.
    while (this.sent.length > 0 && !this.pending(this.sent.first() as T)) this.shift();
  }

  private answer(item: T, each: (item: T) => void): void {
    if (this.pending(item)) each(item);
  }

  private shift(): T {
    this.firstTag++;
    return this.sent.shift() as T;
  }
}
