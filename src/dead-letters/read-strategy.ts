import { ConfigError, ErrorCode, show } from '../errors.js';
import type { DeadLetterBroker, QueueReadProfile } from './dead-letter-queue.js';

/**
 * How an operation that gives messages back reads a queue:
 * - `in-place`: from the head, as far as it needs (a classic queue puts each
 *   message given back where it was, uncounted);
 * - `whole-queue`: every message, held at once, then all given back together
 *   (a quorum queue counts each one given back as a delivery, and keeps their
 *   order only when it gets all of them back at once: see whole-queue-reader.ts).
 */
export type ReadStrategy = 'in-place' | 'whole-queue';

/** The queue an operation reads, and whether the caller accepts reads the broker counts where a limit cannot be seen. */
export interface ReadSource {
  readonly broker: DeadLetterBroker;
  readonly queue: string;
  /** {@link DeadLettersOptions.countedReads}. */
  readonly countedReads: boolean;
}

/**
 * How `operation` may read `source.queue`, asking the broker.
 * @throws {ConfigError} `UNSAFE_READ`: see {@link readStrategy}.
 */
export async function readStrategyOf(source: ReadSource, operation: string): Promise<ReadStrategy> {
  return readStrategy(await source.broker.readProfile(source.queue), source.queue, operation, source.countedReads);
}

/**
 * How an operation that removes what matches reads: without a filter it
 * reads exactly what it removes (in place, on any queue type: nothing is
 * given back, so nothing is counted); with one, as {@link readStrategyOf} says.
 */
export async function removalStrategy(source: ReadSource, filtered: boolean, operation: string): Promise<ReadStrategy> {
  if (filtered) return readStrategyOf(source, operation);
  await source.broker.checkQueue(source.queue);
  return 'in-place';
}

/**
 * Reading and giving back is safe on a classic queue, and on a quorum queue
 * with no delivery limit: there each read counts as a delivery
 * (`x-delivery-count` + 1, RabbitMQ 3.10 measured), and nothing more. Past a
 * limit the broker drops or dead-letters the message: a queue with an
 * `x-delivery-limit` is refused; so is one whose limit cannot be known
 * (RabbitMQ 4 gives every quorum queue one, and a policy can set one; neither
 * shows over AMQP), unless the caller vouches with `countedReads`.
 *
 * @throws {ConfigError} `UNSAFE_READ`, saying why and what to do.
 */
export function readStrategy(profile: QueueReadProfile, queue: string, operation: string, countedReads: boolean): ReadStrategy {
  const { type, deliveryLimit, brokerMajor } = profile;
  if (type === 'classic') return 'in-place';
  const refuse = (why: string, fix: string): never => {
    throw new ConfigError(ErrorCode.UNSAFE_READ, `${operation} refused: ${why}. ${fix}${SHOVEL}`);
  };
  if (type !== 'quorum' && type !== 'unknown') refuse(`${show(queue)} is a ${type} queue, which only classic and quorum reads support`, '');
  if (deliveryLimit.kind === 'set') {
    refuse(
      `${show(queue)} is a quorum queue with x-delivery-limit ${deliveryLimit.value}: ${COUNTED}`,
      'A dead-letter queue needs no delivery limit (the bus declares Q.dlq without one). ',
    );
  }
  if (countedReads) return 'whole-queue';
  const vouch = 'Pass countedReads: true (--allow-counted-reads) if no delivery limit applies. ';
  if (type === 'unknown') {
    const why = deliveryLimit.kind === 'unknown' ? deliveryLimit.why : 'the broker would not say';
    refuse(`the type of queue ${show(queue)} cannot be known (${why}); on a quorum queue ${COUNTED}`, vouch);
  }
  if (deliveryLimit.kind === 'unknown')
    refuse(`whether quorum queue ${show(queue)} has an x-delivery-limit cannot be known (${deliveryLimit.why}); ${COUNTED}`, vouch);
  if (brokerMajor !== undefined && brokerMajor >= 4)
    refuse(
      `on RabbitMQ ${brokerMajor} quorum queue ${show(queue)} has a delivery limit that AMQP cannot show (20 by default, or a policy's); ${COUNTED}`,
      'Set a policy with delivery-limit -1 on the dead-letter queues (pattern "\\.dlq$"), then pass countedReads: true (--allow-counted-reads). ',
    );
  return 'whole-queue';
}

const COUNTED =
  'every message read and given back counts as a delivery (x-delivery-count), and past the limit the broker drops or dead-letters it';

const SHOVEL =
  'A replay or purge without a filter (which removes what it reads) is safe; to look first, shovel the messages to a classic queue';
