import { type Observable, Subject, type Subscriber, takeUntil } from 'rxjs';
import { PublishError, ErrorCode } from '../errors.js';
import { Deque } from '../transport/deque.js';
import type { RxPubsubError } from '../errors.js';
import type { PublishCallback } from '../transport/transport.js';
import { closedBusError, promiseOf } from './checked-arguments.js';
import { GuardedObservable, type ObserverFailure } from './guarded-observable.js';
import { publishWindowOf } from './publish-all-options.js';
import { iteratorOf, observableOf, sourceKindOf, stepOf } from './publish-all-source.js';

/** What `publishAll` needs of the bus. */
export interface PublishAllDeps {
  /**
   * The bus's publish, callback style ({@link EventSender.send}): every check, the confirm. `done` is never called
   * before it returned; what it gets is read with `outcome` (which counts the confirmed).
   */
  readonly send: (event: unknown, done: PublishCallback) => void;
  readonly outcome: (error: unknown) => RxPubsubError | undefined;
  readonly closed: () => boolean;
  readonly maxPending: number;
  /** Where an observer of the result that throws is reported. */
  readonly report: ObserverFailure;
}

/** How the source ended: `{}` completed, `{ error }` errored (or overflowed). */
interface Ending {
  readonly error?: unknown;
}

/** Reads the source for a {@link PublishAllRun}: offers while it has room, resumes when a slot frees. */
interface Feed {
  resume(): void;
  /** No more reading (unsubscribe, a failure): an iterator is returned, an Observable unsubscribed. */
  stop(): void;
}

/**
 * `bus.publishAll(source, options)`: a cold Observable that publishes the source's events, at most `window`
 * out at a time, and emits each event once confirmed, in source order. See {@link EventBus.publishAll}.
 * @throws {ConfigError} `INVALID_ARGUMENT` for a source of none of the three kinds, bad options.
 */
export function publishAll<T>(source: unknown, options: unknown, deps: PublishAllDeps): Observable<T> {
  const kind = sourceKindOf(source);
  const window = publishWindowOf(options, deps.maxPending);
  return new GuardedObservable<T>(deps.report, (subscriber) => {
    if (deps.closed()) {
      subscriber.error(closedBusError('publishAll'));
      return undefined;
    }
    const run = new PublishAllRun<T>(subscriber, deps, window);
    try {
      if (kind === 'observable') run.start(new ObservableFeed<T>(observableOf<T>(source), run, deps.maxPending));
      else run.start(new IteratorFeed<T>(iteratorOf<T>(source, kind), kind === 'async-iterable', run));
    } catch (error) {
      subscriber.error(error);
    }
    return () => run.unsubscribed();
  });
}

class Slot<T> {
  state: 'pending' | 'confirmed' | 'failed' = 'pending';
  error: unknown;
  constructor(readonly event: T) {}
}

/**
 * One subscription: the events out (published, not emitted yet) in source order. The head is emitted once
 * confirmed; a failed head errors the result, so everything emitted before an error was confirmed.
 *
 * No Promise per event: each is sent with a callback, and the confirms that come together (a broker confirms
 * many at once) are handled together, in one microtask: emit the confirmed head, then read the source while
 * there is room, sending many messages in one turn. The microtask also keeps the application's observer out of
 * the transport's own call stack.
 */
class PublishAllRun<T> {
  private readonly out = new Deque<Slot<T>>();
  private feed: Feed | undefined;
  private ending: Ending | undefined;
  /** A publish failed: the source is read no more... */
  private failing = false;
  /** ...and was stopped. */
  private failed = false;
  private stopped = false;
  private pumpQueued = false;

  constructor(
    private readonly subscriber: Subscriber<T>,
    private readonly deps: Pick<PublishAllDeps, 'send' | 'outcome' | 'closed'>,
    private readonly window: number,
  ) {}

  start(feed: Feed): void {
    this.feed = feed;
    feed.resume();
  }

  /** Published, not emitted yet. */
  get held(): number {
    return this.out.length;
  }

  get hasRoom(): boolean {
    return !this.stopped && !this.failing && this.ending === undefined && this.out.length < this.window;
  }

  offer(event: T): void {
    const slot = new Slot(event);
    this.out.push(slot);
    const { deps } = this;
    const done = (error: unknown): void => this.settled(slot, deps.outcome(error));
    if (deps.closed()) queueMicrotask(() => done(closedBusError('publish')));
    else deps.send(event, done);
  }

  /** The source has nothing more: the result ends the same way once the events out are emitted. */
  end(ending: Ending): void {
    this.ending ??= ending;
    this.flush();
  }

  unsubscribed(): void {
    this.stopped = true;
    this.feed?.stop();
  }

  private settled(slot: Slot<T>, failure: RxPubsubError | undefined): void {
    slot.state = failure === undefined ? 'confirmed' : 'failed';
    slot.error = failure;
    // No more reading from now on; the error itself waits its turn, after the events before it.
    if (failure !== undefined) this.failing = true;
    if (this.stopped || this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(this.pump);
  }

  private readonly pump = (): void => {
    this.pumpQueued = false;
    if (this.stopped) return;
    if (this.failing && !this.failed) {
      this.failed = true;
      this.feed?.stop();
    }
    this.flush();
    if (this.hasRoom) this.feed?.resume();
  };

  private flush(): void {
    for (let head = this.out.first(); head && head.state !== 'pending' && !this.stopped; head = this.out.first()) {
      if (head.state === 'failed') return this.finish({ error: head.error });
      this.out.shift();
      this.subscriber.next(head.event);
    }
    if (this.out.length === 0 && this.ending && !this.stopped) this.finish(this.ending);
  }

  private finish(ending: Ending): void {
    this.stopped = true;
    this.feed?.stop();
    if ('error' in ending) this.subscriber.error(ending.error);
    else this.subscriber.complete();
  }
}

/** Pulls an iterator one `next()` at a time (an async one's awaited), only while the run has room. */
class IteratorFeed<T> implements Feed {
  private pulling = false;
  private finished = false;

  constructor(
    private readonly iterator: Iterator<T> | AsyncIterator<T>,
    private readonly async: boolean,
    private readonly run: PublishAllRun<T>,
  ) {}

  resume(): void {
    while (!this.pulling && !this.finished && this.run.hasRoom) {
      let result: unknown;
      try {
        result = this.iterator.next();
      } catch (error) {
        return this.ended({ error });
      }
      if (!this.async) {
        this.take(result);
        continue;
      }
      this.pulling = true;
      promiseOf(() => Promise.resolve(result)).then(
        (step) => this.pulled(() => this.take(step)),
        (error: unknown) => this.pulled(() => this.ended({ error })),
      );
    }
  }

  stop(): void {
    if (this.finished) return;
    this.finished = true;
    try {
      // Lets a generator run its `finally`; what it returns or throws then is no longer the result's business.
      Promise.resolve(this.iterator.return?.()).catch(() => undefined);
    } catch {
      // A return() that throws: nothing more to do.
    }
  }

  private pulled(work: () => void): void {
    this.pulling = false;
    if (this.finished) return;
    work();
    this.resume();
  }

  private take(result: unknown): void {
    let step: ReturnType<typeof stepOf>;
    try {
      step = stepOf(result);
    } catch (error) {
      return this.ended({ error });
    }
    if (step.done) this.ended({});
    // An async pull that comes after a publish failed (the feed is stopped a microtask later) is not published.
    else if (this.run.hasRoom) this.run.offer(step.value as T);
  }

  private ended(ending: Ending): void {
    this.finished = true;
    this.run.end(ending);
  }
}

/** Subscribes once; values wait in a queue while the run has no room, up to `maxPending` queued and out. */
class ObservableFeed<T> implements Feed {
  private readonly queue = new Deque<T>();
  private readonly stopping = new Subject<void>();
  private sourceEnding: Ending | undefined;
  private finished = false;

  constructor(
    source: Observable<T>,
    private readonly run: PublishAllRun<T>,
    private readonly maxPending: number,
  ) {
    // takeUntil, not the Subscription: a synchronous source that overflows is unsubscribed before subscribe() returns.
    source.pipe(takeUntil(this.stopping)).subscribe({
      next: (value) => this.take(value),
      error: (error: unknown) => this.sourceEnded({ error }),
      complete: () => this.sourceEnded({}),
    });
  }

  resume(): void {
    while (this.queue.length > 0 && this.run.hasRoom) this.run.offer(this.queue.shift() as T);
    if (this.queue.length === 0 && this.sourceEnding && !this.finished) {
      this.finished = true;
      this.run.end(this.sourceEnding);
    }
  }

  stop(): void {
    this.finished = true;
    this.queue.clear();
    this.stopping.next();
  }

  private take(value: T): void {
    if (this.finished) return;
    if (this.queue.length === 0 && this.run.hasRoom) return this.run.offer(value);
    if (this.queue.length + this.run.held >= this.maxPending) return this.overflow();
    this.queue.push(value);
  }

  private sourceEnded(ending: Ending): void {
    if (this.finished) return;
    this.sourceEnding = ending;
    this.resume();
  }

  private overflow(): void {
    this.stop();
    this.run.end({ error: bufferFullError(this.maxPending) });
  }
}

function bufferFullError(maxPending: number): PublishError {
  return new PublishError(
    ErrorCode.PUBLISH_BUFFER_FULL,
    `publishAll(): the Observable source got ${maxPending} events ahead of the confirms (maxPendingPublishes): ` +
      'slow the source down, make it an AsyncIterable (pulled as the confirms come), or raise maxPendingPublishes',
    { retriable: true },
  );
}
