import { type Observable, Subscription, type Subscriber } from 'rxjs';
import type { RegisteredHandler } from '../core/handler.js';
import type { EventCatalog } from '../event/catalog.js';
import { type Event, routingKeyOf } from '../event/event.js';
import type { Pattern } from '../routing/pattern.js';
import { checkHasQueue, closedBusError, compiledPattern } from './checked-arguments.js';
import { type Route, Registry } from '../routing/registry.js';
import type { QueueConsumer } from '../transport/transport.js';
import { BindingSet } from './binding-set.js';
import { GuardedObservable, type ObserverFailure } from './guarded-observable.js';

/**
 * Where a delivery goes: the handlers and `on$` streams by pattern, and the
 * queue's bindings they need. Adding a route binds its keys and calls `used`
 * (the bus starts consuming on first use); removing it stops local dispatch
 * only (see {@link BindingSet}).
 */
export class Routes {
  private readonly handlers = new Registry<RegisteredHandler>();
  private readonly streams = new Registry<Subscriber<Event>>();
  /** None on a publish-only bus, which refuses `handle`, `on$` and `unbind` before they get here. */
  private readonly bindings: BindingSet | undefined;
  private open = true;

  constructor(
    private readonly consumer: QueueConsumer | undefined,
    exclusiveQueue: boolean,
    private readonly catalog: EventCatalog | undefined,
    private readonly observerFailed: (what: string) => ObserverFailure,
    private readonly used: () => void,
  ) {
    this.bindings = consumer && new BindingSet(consumer, exclusiveQueue);
  }

  /**
   * `pattern` compiled, for `method` to route by.
   * @throws {ConfigError} `INVALID_PATTERN`; `INVALID_OPTIONS` on a bus without a queue.
   * @throws {ConnectionError} `CLOSED` once the bus is closing.
   */
  checkedPattern(pattern: string, method: string): Pattern {
    const compiled = compiledPattern(pattern, method);
    if (!this.open) throw closedBusError(method);
    checkHasQueue(this.consumer !== undefined, method, compiled);
    return compiled;
  }

  addHandler(pattern: Pattern, handler: RegisteredHandler): Subscription {
    return this.attach(pattern, this.handlers.add(pattern, handler));
  }

  /** The live stream of `pattern`'s events: routed while subscribed, completed at once on a closing bus. */
  stream$(pattern: Pattern): Observable<Event> {
    return new GuardedObservable<Event>(this.observerFailed(`on$("${pattern.source}")`), (subscriber) => {
      if (!this.open) return subscriber.complete();
      return this.attach(pattern, this.streams.add(pattern, subscriber));
    });
  }

  /** The handlers for a routing key: none for an event the catalog does not know. */
  readonly match = (routingKey: string): readonly Route<RegisteredHandler>[] =>
    this.knows(routingKey) ? this.handlers.match(routingKey) : NO_ROUTES;

  /** Hands the event to every matching stream. Each stream is the application's: one that throws must not keep it from the others. */
  readonly observe = (event: Event): void => {
    const key = routingKeyOf(event);
    if (!this.knows(key)) return;
    for (const route of this.streams.match(key)) {
      try {
        route.target.next(event);
      } catch (error) {
        this.observerFailed(`on$("${route.pattern.source}")`)(error, 'next');
      }
    }
  };

  /** @throws {ConfigError} `INVALID_ARGUMENT` while a local handler or stream still uses one of the pattern's keys. */
  unbind(pattern: Pattern): Promise<void> {
    return this.bindings ? this.bindings.unbind(pattern.bindingKeys, pattern.source) : Promise.resolve();
  }

  /** Resolves once every binding started so far, and the consumer, are active. */
  async ready(): Promise<void> {
    await this.bindings?.settled();
    await this.consumer?.ready();
  }

  /** The bus is closing: from now on removing a route leaves the bindings alone. */
  close(): void {
    this.open = false;
  }

  /** The subscribers of the `on$` streams still routed to, to complete when the bus closes. */
  openStreams(): Subscriber<Event>[] {
    return this.streams.routes().map((route) => route.target);
  }

  // The teardown stops local dispatch only: the queue's bindings may serve other buses sharing it.
  private attach(pattern: Pattern, removeRoute: () => void): Subscription {
    this.bindings?.add(pattern.bindingKeys);
    this.used();
    return new Subscription(() => {
      removeRoute();
      if (this.open) this.bindings?.release(pattern.bindingKeys);
    });
  }

  // A catalog bus promises its handlers and streams the catalog's events, and keeps that promise at run time:
  // another event type matching a pattern is settled `unhandled` (acked, counted), not handed over untyped.
  private knows(routingKey: string): boolean {
    return this.catalog === undefined || this.catalog.definitionOf(routingKey) !== undefined;
  }
}

const NO_ROUTES: readonly never[] = [];
