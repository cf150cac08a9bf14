import type { Observable } from 'rxjs';
import { ConfigError, ConnectionError, ErrorCode, isRxPubsubError } from '../errors.js';
import { type Event, routingKeyOf } from '../event/event.js';
import type { Pattern } from '../routing/pattern.js';
import type { HistoryLog, HistoryRecord, Transport } from '../transport/transport.js';
import { compiledPattern, safeMessageOf } from './checked-arguments.js';
import { closeTransport } from './connect-transport.js';
import { deliveryDecoder } from './decode-delivery.js';
import { GuardedObservable, type ObserverFailure } from './guarded-observable.js';
import type { ResolvedOptions } from './options.js';
import { readOptionsOf, type ReplayOptions } from './replay-options.js';

export type { ReplayOptions } from './replay-options.js';

/**
 * The bus's side of the event history: `replay$` reads the transport's log
 * ({@link HistoryLog}) and turns its records into the events a pattern
 * matches, as `on$` would see them. The stream holds every event of the
 * exchange, so the pattern is applied here, on the client: a replay reads
 * (and pays for) the whole log from its start, whatever its pattern.
 *
 * | a record of the log                             | the replay                                      |
 * |-------------------------------------------------|-------------------------------------------------|
 * | an event the pattern matches                    | emits it (upcast and checked by the catalog), then acks it |
 * | an event it does not match, or not of the catalog | skips it                                      |
 * | before the `from` Date (the broker starts at a chunk) | skips it, until the first event at or after it |
 * | not an event, or refused by the catalog         | skips it and logs it with its offset (`warn`); never an error |
 */
export class History {
  constructor(
    private readonly log: HistoryLog | undefined,
    private readonly options: Pick<ResolvedOptions, 'catalog' | 'logger' | 'history'>,
    private readonly observerFailed: (what: string) => ObserverFailure,
  ) {}

  /**
   * The events of the history matching `pattern`; see `EventBus.replay$`.
   * @throws {ConfigError} `INVALID_PATTERN`, `INVALID_ARGUMENT`; `INVALID_OPTIONS` without the `history` option.
   */
  replay$(pattern: string, options: ReplayOptions): Observable<Event> {
    const compiled = compiledPattern(pattern, 'replay$');
    const read = readOptionsOf(options, compiled.source);
    const { log } = this;
    if (log === undefined) {
      throw new ConfigError(
        ErrorCode.INVALID_OPTIONS,
        `replay$("${compiled.source}") needs the event history: pass history: { maxAge: '7D' } to EventBus.connect`,
      );
    }
    const since = read.from instanceof Date ? read.from.getTime() : undefined;
    return new GuardedObservable<Event>(this.observerFailed(`replay$("${compiled.source}")`), (subscriber) => {
      const selection = new Selection(compiled, this.options, since);
      const subscription = log.read(read).subscribe({
        next: (record) => {
          try {
            const event = selection.eventOf(record);
            if (event !== undefined) subscriber.next(event);
          } finally {
            // After the subscriber's next: a subscriber that keeps up is what lets the next record come.
            record.ack();
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        subscription.unsubscribe();
        selection.report();
      };
    });
  }
}

/** Which records of one replay become events, and the count of those that were not events at all. */
class Selection {
  private readonly decode: (record: HistoryRecord) => Event;
  private beforeStart: boolean;
  private skipped = 0;

  constructor(
    private readonly pattern: Pattern,
    private readonly options: Pick<ResolvedOptions, 'catalog' | 'logger' | 'history'>,
    private readonly since: number | undefined,
  ) {
    this.decode = deliveryDecoder(options.catalog);
    this.beforeStart = since !== undefined;
  }

  eventOf(record: HistoryRecord): Event | undefined {
    // Published to an exchange, a record has its event's routing key: a key the pattern misses never makes a match.
    if (record.exchange !== '' && !this.pattern.test(record.routingKey)) return undefined;
    let event: Event;
    try {
      event = this.decode(record);
    } catch (error) {
      this.skip(record, error);
      return undefined;
    }
    const key = routingKeyOf(event);
    if (!this.pattern.test(key) || (this.options.catalog !== undefined && this.options.catalog.definitionOf(key) === undefined)) {
      return undefined;
    }
    if (this.beforeStart) {
      if (Date.parse(event.timestamp) < (this.since as number)) return undefined;
      this.beforeStart = false;
    }
    return event;
  }

  /** Logs the count of skipped records once the replay ends, when more than the one already logged. */
  report(): void {
    if (this.skipped > 1) {
      this.options.logger.warn(
        { stream: this.options.history?.stream, skipped: this.skipped },
        'replay$: skipped records that are not events',
      );
    }
  }

  private skip(record: HistoryRecord, error: unknown): void {
    this.skipped++;
    const fields = {
      stream: this.options.history?.stream,
      offset: record.offset,
      routingKey: record.routingKey,
      reason: safeMessageOf(error),
    };
    // One line at warn per replay, the rest at debug: a log full of foreign messages must not flood the logs.
    if (this.skipped === 1) this.options.logger.warn(fields, 'replay$: skipped a record that is not an event');
    else this.options.logger.debug(fields, 'replay$: skipped a record that is not an event');
  }
}

/**
 * The transport's history log, declared, when the `history` option asks for
 * one. A failure closes the transport: nothing is left open behind the error.
 *
 * @throws {ConfigError} `INVALID_OPTIONS` when the transport has no history.
 * @throws {ConnectionError} `TOPOLOGY_FAILED` when the stream cannot be declared.
 */
export async function openHistory(config: ResolvedOptions, transport: Transport): Promise<HistoryLog | undefined> {
  const spec = config.history;
  if (spec === undefined) return undefined;
  try {
    if (typeof transport.history !== 'function') {
      throw new ConfigError(
        ErrorCode.INVALID_OPTIONS,
        'EventBus option history needs a transport with a history() method: this one has none',
      );
    }
    const log = transport.history(spec);
    await log.declare();
    return log;
  } catch (error) {
    await closeTransport(transport, undefined, config.logger);
    if (isRxPubsubError(error)) throw error;
    throw new ConnectionError(ErrorCode.TOPOLOGY_FAILED, `Could not declare the history stream "${spec.stream}": ${safeMessageOf(error)}`, {
      cause: error,
    });
  }
}
