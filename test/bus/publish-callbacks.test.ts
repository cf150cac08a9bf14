/**
 * Attacks on the callback-style publish path (one Promise per bus.publish, Transport.publishWith, publishAll's
 * batched confirms): every publish settles exactly once, and bus.stats() counts exactly the confirmed ones.
 */
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ErrorCode, type Event, EventBus, isRxPubsubError } from '../../src/index.js';
import { MemoryBroker } from '../../src/transport/memory/memory-broker.js';
import type { OutboundMessage, PublishCallback, Transport } from '../../src/transport/transport.js';
import { connectBus, orderEvent, teardown, uniqueName } from '../support/bus.js';
import { wrappedMemoryTransport } from '../support/wrapped-transport.js';
import { collector } from '../support/gc.js';

const events = (count: number) => Array.from({ length: count }, (_, i) => orderEvent('created', { order_id: `A${i}` }));

describe('publish callbacks', () => {
  it('publish callbacks - a transport without publishWith that rejects with undefined: a typed failure, not counted', async () => {
    let calls = 0;
    const { transport } = wrappedMemoryTransport('pcb-undef', {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the attack: a rejection with undefined
      publish: (message, inner) => (++calls % 2 === 0 ? Promise.reject(undefined) : inner(message)),
    });
    const bus = await EventBus.connect({ transport });
    teardown(() => bus.close({ timeoutMs: 2_000 }));
    await bus.publish(orderEvent());
    const failed = await bus.publish(orderEvent()).catch((error: unknown) => error);
    expect(isRxPubsubError(failed)).toBe(true);
    const all = await lastValueFrom(bus.publishAll(events(4), { window: 1 }).pipe(toArray())).catch((error: unknown) => error);
    expect(isRxPubsubError(all)).toBe(true);
    // Calls 1 and 3 went through: the one publish, and publishAll's first event.
    expect(bus.stats().published).toBe(2);
  });

  it('publish callbacks - a transport whose publishWith answers synchronously, and a caller publishing again from inside', async () => {
    const name = uniqueName('pcb-sync');
    teardown(() => void MemoryBroker.reset(name));
    const { transport: inner } = wrappedMemoryTransport('pcb-sync-inner', {});
    const answered: string[] = [];
    const transport: Transport = {
      ...inner,
      get state$() {
        return inner.state$;
      },
      publishWith(message: OutboundMessage, done: PublishCallback) {
        answered.push(message.routingKey);
        done(message.routingKey === 'order.refused' ? new Error('no') : undefined); // breaks the contract: before returning
      },
    };
    const bus = await EventBus.connect({ transport });
    teardown(() => bus.close({ timeoutMs: 2_000 }));
    let again: Promise<void> | undefined;
    await bus.publish(orderEvent()).then(() => (again = bus.publish(orderEvent('paid'))));
    await again;
    await expect(bus.publish(orderEvent('refused'))).rejects.toMatchObject({ code: ErrorCode.PUBLISH_REFUSED });
    const out = await lastValueFrom(bus.publishAll(events(10), { window: 3 }).pipe(toArray()));
    expect(out.map((e) => (e.data as { order_id: string }).order_id)).toEqual(
      events(10).map((e) => (e.data as { order_id: string }).order_id),
    );
    expect(bus.stats().published).toBe(12);
  });

  it('publish callbacks - a transport whose publishWith calls back twice (success then failure, or twice success): settled and counted once', async () => {
    const { transport: inner } = wrappedMemoryTransport('pcb-twice-inner', {});
    const transport: Transport = {
      ...inner,
      get state$() {
        return inner.state$;
      },
      publishWith(message: OutboundMessage, done: PublishCallback) {
        queueMicrotask(() => {
          done(undefined);
          done(message.routingKey === 'order.paid' ? new Error('late failure') : undefined);
        });
      },
    };
    const bus = await EventBus.connect({ transport });
    teardown(() => bus.close({ timeoutMs: 2_000 }));
    await bus.publish(orderEvent('created'));
    await bus.publish(orderEvent('paid'));
    const out = await lastValueFrom(bus.publishAll(events(5), { window: 2 }).pipe(toArray()));
    expect(out).toHaveLength(5);
    expect(bus.stats().published).toBe(7);
  });

  it('publish callbacks - a schema that throws, or rejects: publish and publishAll fail typed, nothing counted', async () => {
    const { defineEvent } = await import('../../src/index.js');
    const calls = { n: 0 };
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: (value: unknown) => {
          calls.n++;
          if (calls.n === 1) throw new Error('schema exploded');
          if (calls.n === 2) return Promise.reject(new Error('schema rejected'));
          return { value };
        },
      },
    };
    const Created = defineEvent('order', 'created', { schema });
    const bus = await connectBus({ url: `memory://${uniqueName('pcb-schema')}`, events: [Created] });
    await expect(bus.publish(Created.create({}))).rejects.toMatchObject({ code: ErrorCode.INVALID_DATA });
    const all = await lastValueFrom(bus.publishAll([Created.create({}), Created.create({})], { window: 1 }).pipe(toArray())).catch(
      (e: unknown) => e,
    );
    expect(isRxPubsubError(all)).toBe(true);
    await bus.publish(Created.create({}));
    expect(bus.stats().published).toBe(1);
  });

  it('publish callbacks - close() with a deadline while publishes wait: each rejects CLOSED once, none counted, publishAll errors', async () => {
    const name = uniqueName('pcb-close');
    const bus = await connectBus({ url: `memory://${name}` });
    MemoryBroker.named(name).block();
    const settled: string[] = [];
    const one = bus.publish(orderEvent()).then(
      () => settled.push('ok'),
      (error: unknown) => settled.push((error as { code: string }).code),
    );
    const all = lastValueFrom(bus.publishAll(events(5), { window: 2 }).pipe(toArray())).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await bus.close({ timeoutMs: 20 });
    await one;
    expect(settled).toEqual([ErrorCode.CLOSED]);
    expect(await all).toMatchObject({ code: ErrorCode.CLOSED });
    expect(bus.stats().published).toBe(0);
  });

  it('publish callbacks - publishAll: once a publish failed, an event pulled meanwhile from an async source is not published', async () => {
    const rejects: ((error: Error) => void)[] = [];
    const sent: string[] = [];
    const { transport } = wrappedMemoryTransport('pcb-pull', {
      publish: (message, inner) => {
        sent.push(message.properties.messageId ?? '');
        return sent.length === 1 ? new Promise((_, reject) => rejects.push(reject)) : inner(message);
      },
    });
    const bus = await EventBus.connect({ transport });
    teardown(() => bus.close({ timeoutMs: 2_000 }));
    const list = events(3);
    const pulls: ((step: IteratorResult<Event>) => void)[] = [];
    const source: AsyncIterable<Event> = {
      [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<Event>>((resolve) => pulls.push(resolve)) }),
    };
    const result = lastValueFrom(bus.publishAll(source, { window: 5 }).pipe(toArray())).catch((error: unknown) => error);
    const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
    pulls[0]?.({ done: false, value: list[0] as Event });
    await tick(); // list[0] out, waiting for its confirm; the next pull pending
    expect(sent).toEqual([list[0]?.id]);
    rejects[0]?.(new Error('refused'));
    pulls[1]?.({ done: false, value: list[1] as Event }); // arrives in the same turn as the failure
    expect(await result).toMatchObject({ code: ErrorCode.PUBLISH_REFUSED });
    await tick();
    expect(sent).toEqual([list[0]?.id]);
  });

  it('publish callbacks - publishAll emits in source order when the transport confirms in reverse, and an observer that throws stops nothing', async () => {
    const held: (() => void)[] = [];
    const { transport } = wrappedMemoryTransport('pcb-order', {
      publish: (message, inner) =>
        new Promise((resolve, reject) => {
          held.push(() => void inner(message).then(resolve, reject));
          // Confirm each batch of 4 last-first.
          if (held.length === 4)
            held
              .splice(0)
              .reverse()
              .forEach((confirm) => confirm());
        }),
    });
    const bus = await EventBus.connect({ transport });
    teardown(() => bus.close({ timeoutMs: 2_000 }));
    const seen: unknown[] = [];
    const done = new Promise<void>((resolve, reject) =>
      bus.publishAll(events(20), { window: 4 }).subscribe({
        next: (event) => {
          seen.push((event.data as { order_id: string }).order_id);
          throw new Error('observer exploded');
        },
        error: reject,
        complete: resolve,
      }),
    );
    await done;
    expect(seen).toEqual(events(20).map((event) => (event.data as { order_id: string }).order_id));
    expect(bus.stats().published).toBe(20);
  });

  it('publish callbacks - an unconfirmed publish keeps its message, not the event and its data', async () => {
    const gc = collector();
    if (gc === undefined) {
      console.warn('publish callbacks: no garbage collector available; the memory check is skipped');
      return;
    }
    const held: (() => void)[] = [];
    const { transport: wrapped } = wrappedMemoryTransport('pcb-gc', {
      publish: (message, inner) => new Promise((resolve, reject) => held.push(() => void inner(message).then(resolve, reject))),
    });
    // JSON bodies (memory's own encoding keeps the event on purpose, for its in-process consumers).
    const transport: Transport = { ...wrapped, encode: undefined };
    const bus = await EventBus.connect({ transport });
    teardown(() => bus.close({ timeoutMs: 2_000 }));
    const refs: WeakRef<object>[] = [];
    const confirms: Promise<void>[] = [];
    const publishOne = (i: number): void => {
      const event = orderEvent('created', { order_id: `G${i}` });
      refs.push(new WeakRef(event), new WeakRef(event.data as object));
      confirms.push(bus.publish(event));
    };
    for (let i = 0; i < 3; i++) publishOne(i);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(held).toHaveLength(3);
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    expect(refs.map((ref) => ref.deref() !== undefined)).toEqual([false, false, false, false, false, false]);
    held.splice(0).forEach((confirm) => confirm());
    await Promise.all(confirms);
    expect(bus.stats().published).toBe(3);
  });

  it('publish callbacks - buffer full while blocked: the extra publishes fail once with PUBLISH_BUFFER_FULL, the held ones go out on unblock', async () => {
    const name = uniqueName('pcb-full');
    const bus = await connectBus({ url: `memory://${name}`, maxPendingPublishes: 3 });
    MemoryBroker.named(name).block();
    const outcomes: string[] = [];
    const publishes = Array.from({ length: 5 }, (_, i) =>
      bus.publish(orderEvent('created', { order_id: `F${i}` })).then(
        () => void outcomes.push(`ok F${i}`),
        (error: unknown) => void outcomes.push(`${(error as { code: string }).code} F${i}`),
      ),
    );
    const all = lastValueFrom(bus.publishAll(events(2)).pipe(toArray())).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await all).toMatchObject({ code: ErrorCode.PUBLISH_BUFFER_FULL });
    MemoryBroker.named(name).unblock();
    await Promise.all(publishes);
    expect(outcomes.sort()).toEqual(['PUBLISH_BUFFER_FULL F3', 'PUBLISH_BUFFER_FULL F4', 'ok F0', 'ok F1', 'ok F2']);
    expect(bus.stats().published).toBe(3);
  });
});
