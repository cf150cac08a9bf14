/** A queue that exists with another `x-queue-type` than the one declared. */
export interface QueueTypeMismatch {
  readonly queue: string;
  /** `classic` (also for a queue declared without the argument), `quorum`, `stream`... */
  readonly existing: string;
  readonly declared: string;
}

// RabbitMQ 3.10 words it three ways: "received the value 'quorum' of type 'longstr' but current is none",
// "received none but current is the value 'quorum' of type 'longstr'", "received 'quorum' but current is 'classic'".
const INEQUIVALENT_TYPE =
  /inequivalent arg 'x-queue-type' for queue '([^']*)'.*?: received (?:the value )?(?:'([^']*)'|none).*? but current is (?:the value )?(?:'([^']*)'|none)/;

/** The mismatch RabbitMQ's PRECONDITION_FAILED `message` reports, or undefined when it is about something else. */
export function queueTypeMismatchIn(message: string): QueueTypeMismatch | undefined {
  const match = INEQUIVALENT_TYPE.exec(message);
  if (match === null) return undefined;
  return { queue: match[1] ?? '', declared: match[2] ?? 'classic', existing: match[3] ?? 'classic' };
}

/**
 * What to do about a mismatch, for the `TOPOLOGY_FAILED` message: a queue's
 * type is fixed at creation, so either the options match the queue, or the
 * queue goes (its messages moved first) and is declared again.
 */
export function queueTypeFix({ queue, existing, declared }: QueueTypeMismatch): string {
  const keep =
    existing === 'classic' || existing === 'quorum'
      ? `or keep them ${existing} with queueOptions: { type: '${existing}' }`
      : 'or use another queue name (rx-pubsub declares classic and quorum queues only)';
  return (
    `queue "${queue}" exists as a ${existing} queue and this bus declares it as a ${declared} queue ` +
    `(a durable, shared service queue, its .dlq and its .retry.<ms> queues are quorum queues unless queueOptions.type is 'classic'). ` +
    `A queue's type cannot change: delete the ${existing} ones (moving their messages first, with a shovel, if they hold any) so that the bus declares them again, ${keep}`
  );
}
