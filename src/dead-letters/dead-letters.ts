import type { Observable } from 'rxjs';
import { GuardedObservable, loggedObserverFailure } from '../bus/guarded-observable.js';
import { ConfigError, ConnectionError, ErrorCode, show } from '../errors.js';
import type { Logger } from '../logger.js';
import { MemoryBroker } from '../transport/memory/memory-broker.js';
import { AmqpDeadLetterBroker } from './amqp-dead-letter-broker.js';
import type { DeadLetterEntry } from './dead-letter-entry.js';
import { compileFilter } from './dead-letter-filter.js';
import type { DeadLetterBroker } from './dead-letter-queue.js';
import { type DeadLetterStats, type StatsOptions, statsOfDeadLetters } from './dead-letter-stats.js';
import {
  type DeadLettersOptions,
  operationLimit,
  type ResolvedDeadLettersOptions,
  resolveDeadLettersOptions,
} from './dead-letters-options.js';
import { MemoryDeadLetterBroker } from './memory-dead-letter-queue.js';
import { type PeekOptions, peekDeadLetters } from './peek.js';
import { type PurgeOptions, type PurgeResult, purgeDeadLetters } from './purge.js';
import type { ReadSource } from './read-strategy.js';
import { type DeadLetterReplayOptions, type ReplayPlan, type DeadLetterReplayProgress, ReplayRun } from './replay.js';

export type { DeadLetterEntry } from './dead-letter-entry.js';
export type { DeadLetterFilter } from './dead-letter-filter.js';
export type { DeadLetterGroup, DeadLetterStats, StatsOptions } from './dead-letter-stats.js';
export type { DeadLettersOptions } from './dead-letters-options.js';
export type { PeekOptions } from './peek.js';
export type { PurgeOptions, PurgeResult } from './purge.js';
export type { DeadLetterReplayOptions, DeadLetterReplayProgress } from './replay.js';

/**
 * The dead letters of one service queue `Q` (in `Q.dlq`), for the engineer
 * on call and for tools (the `rx-pubsub dlq` commands are built on it): what
 * failed and why ({@link DeadLetters.stats}, {@link DeadLetters.peek}), put
 * the fixed ones back ({@link DeadLetters.replay}), drop the rest
 * ({@link DeadLetters.purge}). Works on RabbitMQ and on `memory://`.
 *
 * | operation | removes                        | the others                     | cut off (even SIGKILL)                  |
 * |-----------|--------------------------------|--------------------------------|-----------------------------------------|
 * | `peek`    | nothing                        | unchanged: same order (a quorum queue counts one delivery each) | nothing changed |
 * | `stats`   | nothing                        | unchanged                      | nothing changed                         |
 * | `replay`  | each one only after its copy's confirm | stay, in order         | nothing lost; at most `window` copied twice |
 * | `purge`   | the matching ones              | stay, in order                 | the rest stay                           |
 *
 * How nothing moves: an operation reads with manual acks and holds what it
 * read; what it does not remove it gives back by closing its channel. A
 * classic queue puts each message back where it was, uncounted (RabbitMQ
 * 3.10 measured), so it is read from the head only as far as needed. A
 * quorum queue (`Q.dlq` is one unless the bus's queue is classic) counts
 * each message given back as a delivery (`x-delivery-count` + 1), and keeps
 * the order only when it gets the whole queue back at once (measured: a part
 * given back goes behind the rest). So there `peek`, `stats` and a filtered
 * `replay` or `purge` hold the whole queue through one consumer (at most
 * 65,535 messages, else `UNSAFE_READ`) and give it back together; `peek`'s
 * `limit` then limits what is returned, not what is read. Counting is
 * harmless without a delivery limit: a read is allowed only when the queue
 * provably has no `x-delivery-limit` (it accepts being re-declared as the bus
 * declares `Q.dlq`), and on RabbitMQ 4 (whose quorum queues all have a limit
 * unless a policy lifts it, invisibly to AMQP) only with
 * {@link DeadLettersOptions.countedReads}; otherwise `UNSAFE_READ`. A replay
 * or purge without a filter reads exactly what it removes, on any queue.
 *
 * Operations of one `DeadLetters` run one at a time, in call order (a replay
 * from its subscription to its end). The connection opens on first use;
 * `close()` it when done.
 *
 * @example
 * const dlq = deadLetters({ url: process.env.AMQP_URL ?? 'memory://shop', queue: 'order-service' });
 * const { byError } = await dlq.stats();
 * await lastValueFrom(dlq.replay({ filter: { error: /payment provider/ } }));
 * await dlq.close();
 */
export interface DeadLetters {
  /** The service queue. */
  readonly queue: string;
  /** Where its dead letters are: `${queue}.dlq` unless told otherwise. */
  readonly deadLetterQueue: string;
  /** The topic exchange replays to `'exchange'` publish to. */
  readonly exchange: string;
  /**
   * The first dead letters (that match the filter), head first, decoded; the
   * queue is left in its order (on a quorum queue, each counted once more as delivered).
   * @throws {ConfigError} `UNSAFE_READ` where reading cannot be made safe (see above); `INVALID_ARGUMENT` for bad options or a missing queue.
   * @throws {ConnectionError} when the broker cannot be reached.
   */
  peek(options?: PeekOptions): Promise<DeadLetterEntry[]>;
  /**
   * Counts of the dead letters by error, failed pattern and routing key,
   * with the oldest and newest failures; the queue is left as `peek` leaves it.
   * @throws {ConfigError} `UNSAFE_READ` where reading cannot be made safe.
   */
  stats(options?: StatsOptions): Promise<DeadLetterStats>;
  /**
   * Puts dead letters back: each one that matches is republished with
   * confirm (attempts reset, `rx-pubsub-replayed` counted, `messageId` and the
   * other properties kept) and removed from the dead-letter queue only after
   * its confirm. The Observable emits the progress (first with zero counts,
   * then at every change) and completes at the end; unsubscribing stops it,
   * and the dead letters not yet removed stay in the queue.
   * @throws {ConfigError} at once for bad options; through the Observable
   *   `UNSAFE_READ` (a filter, where reading cannot be made safe), `INVALID_ARGUMENT`
   *   (a missing queue or exchange), a `PublishError` or `ConnectionError` that ended it.
   */
  replay(options?: DeadLetterReplayOptions): Observable<DeadLetterReplayProgress>;
  /**
   * Removes the dead letters that match (all without a filter) among those
   * in the queue when it starts, and only those.
   * @throws {ConfigError} `UNSAFE_READ` with a filter, where reading cannot be made safe.
   */
  purge(options?: PurgeOptions): Promise<PurgeResult>;
  /** Stops a running replay, waits for the operations under way, and closes the connection. Later calls reject with `CLOSED`. */
  close(): Promise<void>;
}

/**
 * The dead letters of `options.queue`.
 * @throws {ConfigError} `INVALID_OPTIONS` for a bad option (no connection is made yet).
 */
export function deadLetters(options: DeadLettersOptions): DeadLetters {
  const resolved = resolveDeadLettersOptions(options);
  const broker =
    resolved.memoryBroker === undefined
      ? new AmqpDeadLetterBroker({
          url: resolved.url,
          connectTimeoutMs: resolved.connectTimeoutMs,
          connectionName: resolved.connectionName,
          tls: resolved.tls,
        })
      : new MemoryDeadLetterBroker(MemoryBroker.named(resolved.memoryBroker));
  return new DeadLettersOfQueue(resolved, broker);
}

const TO = ['queue', 'exchange'];

class DeadLettersOfQueue implements DeadLetters {
  readonly queue: string;
  readonly deadLetterQueue: string;
  readonly exchange: string;
  // Not the options: util.inspect would show their URL, password included (the broker keeps its own, hidden).
  private readonly logger: Logger;
  private readonly source: ReadSource;
  /** The operations, one after the other. */
  private tail: Promise<unknown> = Promise.resolve();
  private readonly replays = new Set<ReplayRun>();
  private closed = false;

  constructor(
    options: ResolvedDeadLettersOptions,
    private readonly broker: DeadLetterBroker,
  ) {
    this.queue = options.queue;
    this.deadLetterQueue = options.deadLetterQueue;
    this.exchange = options.exchange;
    this.logger = options.logger;
    this.source = { broker, queue: options.deadLetterQueue, countedReads: options.countedReads };
  }

  peek(options?: PeekOptions): Promise<DeadLetterEntry[]> {
    return this.exclusive('peek', () => peekDeadLetters(this.source, options));
  }

  stats(options?: StatsOptions): Promise<DeadLetterStats> {
    return this.exclusive('stats', () => statsOfDeadLetters(this.source, options));
  }

  purge(options?: PurgeOptions): Promise<PurgeResult> {
    return this.exclusive('purge', () => purgeDeadLetters(this.source, options));
  }

  replay(options: DeadLetterReplayOptions = {}): Observable<DeadLetterReplayProgress> {
    const plan = this.replayPlan(options);
    const report = loggedObserverFailure(this.logger)(`the replay of ${this.deadLetterQueue}`);
    return new GuardedObservable<DeadLetterReplayProgress>(report, (subscriber) => {
      const run = new ReplayRun(plan, (progress) => subscriber.next(progress));
      this.replays.add(run);
      this.exclusive('replay', () => run.run())
        .finally(() => this.replays.delete(run))
        .then(
          () => subscriber.complete(),
          (error: unknown) => subscriber.error(error),
        );
      return () => run.stop();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const run of this.replays) run.stop();
    await this.tail;
    await this.broker.close();
  }

  private replayPlan(options: DeadLetterReplayOptions): ReplayPlan {
    const { filter, to = 'queue' } = options;
    if (!TO.includes(to))
      throw new ConfigError(ErrorCode.INVALID_ARGUMENT, `replay({ to }) must be 'queue' or 'exchange' (got ${show(to)})`);
    return {
      broker: this.broker,
      deadLetterQueue: this.deadLetterQueue,
      target: to === 'queue' ? { to, queue: this.queue } : { to: 'exchange', exchange: this.exchange },
      matches: filter === undefined ? undefined : compileFilter(filter),
      limit: operationLimit('replay', options.limit, Infinity),
      window: operationLimit('replay', options.window, 100, 'window'),
      publishTimeoutMs: operationLimit('replay', options.publishTimeoutMs, 30_000, 'publishTimeoutMs'),
      countedReads: this.source.countedReads,
    };
  }

  /** Runs `work` after every operation called before it. */
  private exclusive<T>(operation: string, work: () => Promise<T>): Promise<T> {
    if (this.closed) {
      return Promise.reject(
        new ConnectionError(ErrorCode.CLOSED, `deadLetters(...).${operation}(): it is closed; call deadLetters() again`),
      );
    }
    const result = this.tail.then(work);
    this.tail = result.catch(() => {});
    return result;
  }
}
