import { invalidEventError } from '../bus/checked-arguments.js';
import type { Publisher } from '../core/handler-run.js';
import type { EventCatalog } from '../event/catalog.js';
import { ensureEvent, type Event } from '../event/event.js';
import { checkedPublishOptions } from '../transport/publish-options.js';

/**
 * A handler's `context.publish` in {@link routeMarbles}: checked as
 * `bus.publish` checks it (the event, the options, the catalog's schema) and
 * rejected the same way, then handed to `record` instead of a broker, and
 * resolved at once. With an asynchronous schema it is recorded once the schema answered.
 */
export function recordingPublisher(catalog: EventCatalog | undefined, record: (event: Event) => void): Publisher {
  return (value, options) => {
    try {
      const event = ensureEvent(value);
      checkedPublishOptions(options);
      const validating = catalog?.checkOutgoing(event);
      if (validating === undefined) {
        record(event);
        return Promise.resolve();
      }
      return validating.then(
        () => record(event),
        (error: unknown) => Promise.reject(invalidEventError(error)),
      );
    } catch (error) {
      return Promise.reject(invalidEventError(error));
    }
  };
}
