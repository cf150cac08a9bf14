import { describe, expect, it } from 'vitest';
import { ConfirmWindow } from '../../../src/transport/amqp/confirm-window.js';

type Item = { readonly name: string; settled: boolean };

/** A window over `count` items sent on channel `a`, and what each answer reached. */
function windowOf(count: number) {
  const items: Item[] = Array.from({ length: count }, (_, i) => ({ name: `m${i + 1}`, settled: false }));
  const window = new ConfirmWindow<string, Item>((item) => !item.settled);
  for (const item of items) window.add('a', item);
  const answered: string[] = [];
  const answer = (channel: string, tag: number, multiple: boolean): void =>
    window.answered(channel, tag, multiple, (item) => {
      item.settled = true;
      answered.push(item.name);
    });
  return { items, window, answered, answer };
}

describe('ConfirmWindow: the publishes of a channel by delivery tag', () => {
  it('a multiple answer reaches every tag up to it, in order, once', () => {
    const { answered, answer } = windowOf(5);
    answer('a', 3, true);
    answer('a', 3, true);
    answer('a', 5, true);
    expect(answered).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('single answers out of order reach exactly their tag, and a later multiple one only what is left', () => {
    const { answered, answer } = windowOf(6);
    answer('a', 3, false);
    answer('a', 1, false);
    answer('a', 5, false);
    answer('a', 6, true);
    expect(answered).toEqual(['m3', 'm1', 'm5', 'm2', 'm4', 'm6']);
  });

  it('skips an item settled some other way (timed out) and keeps tags as positions after the head moves', () => {
    const { items, window, answered, answer } = windowOf(4);
    (items[0] as Item).settled = true; // m1 timed out before its confirm
    answer('a', 2, false); // the head (m1) is no longer pending: it leaves, then m2's does
    window.add('a', { name: 'm5', settled: false });
    answer('a', 5, false);
    answer('a', 1, false); // an answer for a tag already gone is ignored
    answer('a', 4, true);
    expect(answered).toEqual(['m2', 'm5', 'm3', 'm4']);
  });

  it('a new channel starts again at tag 1; answers from the old one are ignored', () => {
    const { window, answered, answer } = windowOf(3);
    window.add('b', { name: 'n1', settled: false });
    window.add('b', { name: 'n2', settled: false });
    answer('a', 3, true);
    answer('b', 1, false);
    answer('b', 2, true);
    expect(answered).toEqual(['n1', 'n2']);
  });

  it('an answer past the last tag reaches nothing more', () => {
    const { answered, answer } = windowOf(2);
    answer('a', 9, false);
    answer('a', 9, true);
    expect(answered).toEqual(['m1', 'm2']);
  });
});
