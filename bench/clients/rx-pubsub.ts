import { createEvent, EventBus } from 'rx-pubsub-amqp';
import { ignoreElements, lastValueFrom, type Subscription } from 'rxjs';
import { ACTION, benchData, DOMAIN, type BenchData } from '../lib/bench-event.js';
import { windowed } from '../lib/window.js';
import type { BenchClient, ClientOptions } from './client.js';

/**
 * rx-pubsub with its defaults (it sets noDelay itself; there is no switch):
 * `createEvent` + `bus.publish` per event, handlers registered with
 * `bus.handle`. With several patterns every one of them matches
 * `bench.created`, so each delivery runs all handlers before its ack;
 * `asyncHandlers` makes them `async`. Its consuming bus declares its queue
 * with `queueOptions.type` (classic or quorum). With `publishAll`, `publishMany`
 * pipes a generator of the events into `bus.publishAll` instead.
 */
export function rxPubsub(options: ClientOptions): BenchClient {
  let bus: EventBus;
  let settled: Subscription | undefined;
  const eventOf = (seq: number, sentAt = 0) =>
    createEvent({ domain: DOMAIN, action: ACTION, data: benchData(seq, sentAt, options.eventBytes) });
  const publish = (seq: number, sentAt = 0): Promise<void> => bus.publish(eventOf(seq, sentAt));
  function* events(count: number) {
    for (let i = 0; i < count; i++) yield eventOf(i);
  }

  return {
    async connect() {
      if (options.telemetry === 'sdk') await (await import('../lib/otel-sdk.js')).registerOtelSdk();
      bus = await EventBus.connect({
        ...(options.telemetry === 'off' ? { telemetry: false } : {}),
        url: options.url,
        exchange: options.exchange,
        ...(options.consumes ? { queue: options.queue, queueOptions: { type: options.queueType } } : {}),
        prefetch: options.prefetch,
      });
    },

    publishMany(count, window) {
      if (options.publishAll)
        return lastValueFrom(bus.publishAll(events(count), { window }).pipe(ignoreElements()), { defaultValue: undefined });
      return windowed(count, window, (i) => publish(i));
    },

    publish,

    async consume(onEvent, onAcked) {
      settled = bus.settlements$.subscribe((settlement) => {
        if (settlement.outcome.kind !== 'ack') throw new Error(`rx-pubsub settled a delivery with ${settlement.outcome.kind}`);
        onAcked();
      });
      const [first = 'bench.created', ...others] = options.patterns;
      const count = (event: { readonly data: unknown }) => onEvent(event.data as BenchData);
      if (options.asyncHandlers) {
        bus.handle(first, async (event) => count(event));
        for (const pattern of others) bus.handle(pattern, async () => undefined);
      } else {
        bus.handle(first, count);
        for (const pattern of others) bus.handle(pattern, () => undefined);
      }
      await bus.ready();
    },

    async close() {
      await bus.close();
      settled?.unsubscribe();
    },
  };
}
