import type { Event } from '../event/event.js';
import type { GlobMatch } from './glob-match.js';

/** The routing key type of an event type: `` `${domain}.${action}` ``. */
export type RoutingKeyOf<E extends Event<unknown>> = `${E['domain']}.${E['action']}`;

/**
 * The members of the event union `E` whose routing key the glob `P` matches,
 * as far as the types can tell (see `GlobMatch` for the forms followed):
 *
 * - `P` a literal of a followed form → exactly the matching members
 *   (`never` when none matches);
 * - `P` of a form the types do not follow (`order.[cp]*`), or not a literal
 *   (`string`) → all of `E`, never `any`;
 * - members whose domain or action is not a literal (the plain `Event` of a
 *   bus without a catalog) are kept whenever the pattern could match them.
 *
 * @example
 * type T = EventsMatching<OrderCreatedEvent | OrderPaidEvent | UserRegisteredEvent, 'order.*'>;
 * //   ^? OrderCreatedEvent | OrderPaidEvent
 */
export type EventsMatching<E extends Event<unknown>, P extends string> =
  E extends Event<unknown> ? (GlobMatch<P, RoutingKeyOf<E>> extends false ? never : E) : never;

/**
 * The pattern parameter of `handle` and `on$`: `P` itself when some member of
 * `E` may match it, otherwise an error message the compiler shows in place of
 * the expected type.
 */
export type CatalogPattern<E extends Event<unknown>, P extends string> = [EventsMatching<E, P>] extends [never]
  ? `pattern "${P}" matches no event of this bus's catalog`
  : P;
