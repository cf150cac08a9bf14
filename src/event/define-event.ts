import { ConfigError, ErrorCode, show } from '../errors.js';
import { createEvent, type Event, type EventInit, isWord } from './event.js';
import type { Json } from './json.js';

/** The optional fields `EventDefinition.create` takes besides `data`. */
export type EventFields = Omit<EventInit, 'domain' | 'action' | 'data'>;

/**
 * A typed definition of one event type, made by {@link defineEvent}.
 *
 * @example
 * const OrderCreated = defineEvent('order', 'created').withData<{ order_id: string }>();
 * const event = OrderCreated.create({ order_id: 'A1' });
 * if (OrderCreated.is(event)) event.data.order_id;
 */
export interface EventDefinition<TData = Json, TDomain extends string = string, TAction extends string = string> {
  readonly domain: TDomain;
  readonly action: TAction;
  /** `domain.action`: the AMQP routing key and the pattern matching exactly this event. */
  readonly routingKey: `${TDomain}.${TAction}`;
  /** Creates an event of this type; see `createEvent` for defaults and checks. */
  create(data: TData, fields?: EventFields): Event<TData, TDomain, TAction>;
  /** Whether `event` is of this type (same domain and action). */
  is(event: Event<unknown>): event is Event<TData, TDomain, TAction>;
  /** The same definition with `data` typed as `T` (a type-level cast; data is still checked to be JSON). */
  withData<T>(): EventDefinition<T, TDomain, TAction>;
}

/**
 * Defines an event type once, for creating, recognising and routing it.
 *
 * @throws {ConfigError} `INVALID_EVENT` when domain or action is not one word.
 */
export function defineEvent<const TDomain extends string, const TAction extends string>(
  domain: TDomain,
  action: TAction,
): EventDefinition<Json, TDomain, TAction> {
  for (const [field, value] of [['domain', domain], ['action', action]] as const) {
    if (!isWord(value)) {
      throw new ConfigError(
        ErrorCode.INVALID_EVENT,
        `defineEvent(): ${field} must be one word of letters, digits, "_" or "-" (got ${show(value)})`,
      );
    }
  }
  const definition: EventDefinition<Json, TDomain, TAction> = Object.freeze({
    domain,
    action,
    routingKey: `${domain}.${action}` as const,
    create: (data: Json, fields: EventFields = {}) => createEvent({ ...fields, domain, action, data }),
    is: (event: Event<unknown>): event is Event<Json, TDomain, TAction> =>
      typeof event === 'object' && event !== null && event.domain === domain && event.action === action,
    withData: () => definition as never,
  });
  return definition;
}
