/**
 * Whether an AMQP topic binding key matches a routing key, as RabbitMQ's topic
 * exchange decides it. Keys are words separated by `.`; in the binding key a
 * `*` word stands for exactly one word and a `#` word for zero or more.
 * Wildcards are whole words only: `a*` is the literal word `a*`.
 *
 * | binding key  | matches                               | does not match        |
 * |--------------|---------------------------------------|-----------------------|
 * | `order.*`    | `order.created`                       | `order`, `order.a.b`  |
 * | `order.#`    | `order`, `order.created`, `order.a.b` | `orders.created`      |
 * | `#.created`  | `created`, `order.created`            | `order.created.x`     |
 * | `#`          | everything, `''` included             |                       |
 *
 * @example
 * topicMatches('order.#', 'order'); // true
 */
export function topicMatches(bindingKey: string, routingKey: string): boolean {
  if (!bindingKey.includes('*') && !bindingKey.includes('#')) return bindingKey === routingKey;
  return wordsMatch(wordsOf(bindingKey), wordsOf(routingKey));
}

// RabbitMQ splits '' into no words at all, so '#' matches it and '*' does not.
function wordsOf(key: string): readonly string[] {
  return key === '' ? [] : key.split('.');
}

/**
 * Wildcard matching with backtracking to the last `#`, the classic linear
 * glob algorithm over words. `#` is tested before equality so that a literal
 * `#` word in the routing key cannot consume the wildcard without leaving a
 * backtrack point.
 */
function wordsMatch(pattern: readonly string[], key: readonly string[]): boolean {
  let p = 0;
  let k = 0;
  let hashAt = -1;
  let resumeAt = 0;
  while (k < key.length) {
    const word = pattern[p];
    if (word === '#') {
      hashAt = p++;
      resumeAt = k;
    } else if (word !== undefined && (word === '*' || word === key[k])) {
      p++;
      k++;
    } else if (hashAt >= 0) {
      p = hashAt + 1;
      k = ++resumeAt;
    } else {
      return false;
    }
  }
  while (pattern[p] === '#') p++;
  return p === pattern.length;
}
