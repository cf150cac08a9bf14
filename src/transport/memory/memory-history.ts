import { Observable } from 'rxjs';
import { closedError } from '../closed-error.js';
import { EVERY_KEY, historyReadError, historyTopologyError, streamDeclarationOf } from '../history-topology.js';
import type { HistoryLog, HistoryReadOptions, HistoryRecord, HistorySpec } from '../transport.js';
import type { MemoryBroker } from './memory-broker.js';
import { memoryStreamOf } from './memory-stream.js';
import { MemoryStreamReader } from './memory-stream-reader.js';

/**
 * The history of a memory transport: a {@link MemoryStream} of its broker,
 * declared with the same arguments as on RabbitMQ and bound to the exchange
 * with `#`, read with the same offsets, completion and follow semantics.
 * Reads do not belong to the transport's connection: a connection the broker
 * drops does not interrupt them (on RabbitMQ, a read resumes where it was, so
 * a subscriber cannot tell the difference).
 */
export class MemoryHistory implements HistoryLog {
  private readonly readers = new Set<MemoryStreamReader>();
  private closed = false;

  constructor(
    private readonly broker: MemoryBroker,
    private readonly spec: HistorySpec,
  ) {}

  declare(): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    try {
      this.broker.declareQueue(this.spec.stream, streamDeclarationOf(this.spec));
      this.broker.bind(this.spec.exchange, this.spec.stream, EVERY_KEY);
    } catch (error) {
      return Promise.reject(historyTopologyError(this.spec, error));
    }
    return Promise.resolve();
  }

  read(options: HistoryReadOptions): Observable<HistoryRecord> {
    return new Observable<HistoryRecord>((subscriber) => {
      if (this.closed) return subscriber.error(closedError());
      const stream = memoryStreamOf(this.broker, this.spec.stream);
      if (stream === undefined) {
        return subscriber.error(historyReadError(this.spec.stream, new Error('no such stream (NOT_FOUND)')));
      }
      const reader = new MemoryStreamReader(stream, options, subscriber);
      this.readers.add(reader);
      return () => {
        reader.stop();
        this.readers.delete(reader);
      };
    });
  }

  /** The transport closed: every read errors with `CLOSED`, later ones too. */
  close(): void {
    this.closed = true;
    for (const reader of this.readers) reader.fail(closedError());
    this.readers.clear();
  }
}
