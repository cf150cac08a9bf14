import type { BenchData } from './bench-event.js';

/** A handler of the hand-written router: sync, or async (the ack waits for its Promise). */
type HandHandler = (data: BenchData) => void | Promise<void>;

/**
 * What an application on raw amqplib writes to give several handlers the
 * events they subscribed to: each pattern compiled to a RegExp once (`*`
 * crosses dots, as in rx-pubsub), the handlers of a routing key looked up
 * once and cached, then called in turn. `first` gets the data (the scenario
 * counts there); the other handlers do nothing. Returns the dispatcher: it
 * returns a Promise of all the handlers when they are async, and undefined
 * when they are not.
 */
export function handRouter(
  patterns: readonly string[],
  first: (data: BenchData) => void,
  asyncHandlers: boolean,
): (routingKey: string, data: BenchData) => Promise<unknown> | undefined {
  const handlers = patterns.map((pattern, i) => {
    const regexp = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    const sync = i === 0 ? first : () => undefined;
    const handle: HandHandler = asyncHandlers ? async (data) => sync(data) : sync;
    return { regexp, handle };
  });
  const byKey = new Map<string, readonly HandHandler[]>();
  return (routingKey, data) => {
    let matched = byKey.get(routingKey);
    if (matched === undefined) {
      matched = handlers.filter((h) => h.regexp.test(routingKey)).map((h) => h.handle);
      byKey.set(routingKey, matched);
    }
    if (!asyncHandlers) {
      for (const handle of matched) void handle(data);
      return undefined;
    }
    return Promise.all(matched.map((handle) => handle(data)));
  };
}
