/**
 * A growable ring buffer: O(1) `push`, `unshift` and `shift`. A queue needs
 * all three, because a requeued message goes back to the head while new ones
 * arrive at the tail; an array's `shift`/`unshift` would be O(n) per message.
 */
export class Deque<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(16);
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(item: T): void {
    if (this.size === this.items.length) this.grow();
    this.items[(this.head + this.size) & (this.items.length - 1)] = item;
    this.size++;
  }

  unshift(item: T): void {
    if (this.size === this.items.length) this.grow();
    this.head = (this.head - 1) & (this.items.length - 1);
    this.items[this.head] = item;
    this.size++;
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.size--;
    return item;
  }

  /** The item `index` places after the head (0: the head), left in place; `undefined` past either end. */
  at(index: number): T | undefined {
    return index >= 0 && index < this.size ? this.items[(this.head + index) & (this.items.length - 1)] : undefined;
  }

  /** The head, left in place. */
  first(): T | undefined {
    return this.size === 0 ? undefined : this.items[this.head];
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.items[(this.head + i) & (this.items.length - 1)] as T);
    return out;
  }

  clear(): void {
    this.items = new Array<T | undefined>(16);
    this.head = 0;
    this.size = 0;
  }

  // The capacity stays a power of two so that `& (capacity - 1)` wraps indexes.
  private grow(): void {
    const items = this.items;
    const grown = new Array<T | undefined>(items.length * 2);
    for (let i = 0; i < this.size; i++) grown[i] = items[(this.head + i) & (items.length - 1)];
    this.items = grown;
    this.head = 0;
  }
}
