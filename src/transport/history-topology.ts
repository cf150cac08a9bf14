import { ConnectionError, ErrorCode, messageOf } from '../errors.js';
import { redactText } from '../redact-url.js';
import type { QueueDeclaration } from './queue-topology.js';
import type { HistorySpec } from './transport.js';

/** RabbitMQ's `x-max-age` format: a whole number and a unit. */
export const MAX_AGE = /^([1-9][0-9]{0,9})([YMDhms])$/;

// As RabbitMQ counts them (rabbit_amqqueue:check_max_age): a month is 30 days, a year 365.
const UNIT_MS = { Y: 365 * 86_400_000, M: 30 * 86_400_000, D: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;

/** `'7D'` in milliseconds; undefined when it is not RabbitMQ's format. */
export function maxAgeMs(maxAge: string): number | undefined {
  const match = MAX_AGE.exec(maxAge);
  if (match === null) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/**
 * The declaration of the history stream, shared by every transport so that
 * RabbitMQ and memory declare exactly the same thing (and refuse an existing
 * queue of that name declared otherwise alike). A stream is always durable,
 * never exclusive or auto-deleted (RabbitMQ refuses those).
 */
export function streamDeclarationOf(spec: HistorySpec): QueueDeclaration {
  return {
    durable: true,
    exclusive: false,
    autoDelete: false,
    arguments: {
      'x-queue-type': 'stream',
      'x-max-age': spec.maxAge,
      ...(spec.maxLengthBytes === undefined ? {} : { 'x-max-length-bytes': spec.maxLengthBytes }),
      ...(spec.maxSegmentSizeBytes === undefined ? {} : { 'x-stream-max-segment-size-bytes': spec.maxSegmentSizeBytes }),
    },
  };
}

/** The binding key that sends every message of the exchange to the stream. */
export const EVERY_KEY = '#';

/** Declaring the stream failed: most often, a queue of that name exists with other arguments. */
export function historyTopologyError(spec: HistorySpec, cause: unknown): ConnectionError {
  return new ConnectionError(
    ErrorCode.TOPOLOGY_FAILED,
    `Could not declare the history stream "${spec.stream}": ${redactText(messageOf(cause))}. ` +
      'A queue of that name exists with other arguments: set the history options to match it (maxAge, maxLengthBytes, ' +
      'maxSegmentSizeBytes), choose another history.stream, or delete it (rabbitmqctl delete_queue; its events go with it)',
    { cause },
  );
}

/** Reading the stream failed for good: it was deleted, or cannot be read. */
export function historyReadError(stream: string, cause: unknown): ConnectionError {
  return new ConnectionError(
    ErrorCode.TOPOLOGY_FAILED,
    `Could not read the history stream "${stream}": ${redactText(messageOf(cause))} (was it deleted? Connecting a bus with the history option declares it again)`,
    { cause },
  );
}
