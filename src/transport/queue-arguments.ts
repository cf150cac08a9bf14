/** The queue types rx-pubsub declares. */
export type QueueType = 'classic' | 'quorum';

/**
 * Arguments a queue type refuses at declaration, as RabbitMQ 3.10 does
 * (PRECONDITION_FAILED, "invalid arg ... of queue type ..."; each checked on
 * 3.10.8). Stream arguments are refused by both. Others are accepted by both,
 * or ignored.
 */
const REFUSED: Readonly<Record<QueueType, ReadonlySet<string>>> = {
  classic: new Set([
    'x-delivery-limit',
    'x-dead-letter-strategy',
    'x-quorum-initial-group-size',
    'x-max-in-memory-length',
    'x-max-in-memory-bytes',
    'x-queue-leader-locator',
    'x-max-age',
    'x-stream-max-segment-size-bytes',
    'x-initial-cluster-size',
  ]),
  quorum: new Set([
    'x-max-priority',
    'x-queue-mode',
    'x-queue-master-locator',
    'x-queue-version',
    'x-max-age',
    'x-stream-max-segment-size-bytes',
    'x-initial-cluster-size',
  ]),
};

/** The first of `args` that a queue of `type` refuses, or undefined. */
export function refusedArgumentOf(type: QueueType, args: Readonly<Record<string, unknown>>): string | undefined {
  return Object.keys(args).find((key) => REFUSED[type].has(key));
}
