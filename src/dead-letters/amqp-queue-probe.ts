import type { Options } from 'amqplib';
import { ConfigError, ErrorCode, messageOf } from '../errors.js';
import { deadLetterQueueOf } from '../transport/queue-topology.js';
import { replyCodeOf } from './amqp-dead-letter-queue.js';
import type { QueueReadProfile } from './dead-letter-queue.js';
import { missingQueue } from './missing-topology.js';

/** A declare on a channel of its own (a refusal closes it): undefined when accepted, else the broker's error. */
export type TrialDeclare = (options: Options.AssertQueue) => Promise<unknown>;

/** More arguments than a queue has in practice: past this, the probe gives up. */
const MAX_TRIALS = 16;

/**
 * A queue's type and, on a quorum queue, whether it has an `x-delivery-limit`
 * argument, from declares the broker compares with the queue it has: AMQP
 * has no command that tells. The queue exists (checked just before), so an
 * accepted declare creates nothing.
 *
 * The first declare has exactly the bus's `Q.dlq` arguments (a quorum
 * queue). RabbitMQ refuses an inequivalent one naming the first argument
 * that differs, with the queue's value (3.10 measured: "inequivalent arg
 * 'x-delivery-limit' ... received none but current is the value '5' of type
 * 'byte'"); which argument comes first depends on the queue's type. So each
 * refusal either answers (`x-queue-type`, `durable`: the type;
 * `x-delivery-limit`: a limit) or names an argument the next declare repeats
 * with the queue's own value, until one is accepted: then the queue has no
 * `x-delivery-limit`, since RabbitMQ compares it and none was sent. A limit
 * set by a policy is not an argument, and no declare can see it.
 */
export async function probeQueue(queue: string, declare: TrialDeclare): Promise<Omit<QueueReadProfile, 'brokerMajor'>> {
  const base = deadLetterQueueOf({ type: 'quorum' });
  const args: Record<string, unknown> = { ...base.arguments };
  for (let trial = 0; trial < MAX_TRIALS; trial++) {
    const error = await declare({ ...base, arguments: { ...args } });
    if (error === undefined) return { type: 'quorum', deliveryLimit: { kind: 'none' } };
    const code = replyCodeOf(error);
    if (code === 403) return unknown('the user lacks the configure permission on it, which a re-declare needs');
    if (code !== 406) throw refusal(error, queue);
    const difference = inequivalence(messageOf(error));
    if (difference === undefined) return unknown(`RabbitMQ refused a re-declare: ${messageOf(error)}`);
    const { argument, current, currentType } = difference;
    if (argument === 'x-queue-type') return { type: current ?? 'classic', deliveryLimit: { kind: 'none' } };
    // A quorum queue is always durable and never auto-delete: a queue that differs there is classic.
    if (argument === 'durable' || argument === 'auto_delete') return { type: 'classic', deliveryLimit: { kind: 'none' } };
    if (argument === 'x-delivery-limit') return { type: 'quorum', deliveryLimit: { kind: 'set', value: current ?? '?' } };
    const value = amqpValue(current, currentType);
    if (value === undefined || argument in args) return unknown(`it has the argument ${argument}, whose value a re-declare cannot repeat`);
    args[argument] = value;
  }
  return unknown(`it has more than ${MAX_TRIALS} arguments`);
}

/** The major version in the broker's `server_properties` (RabbitMQ: `3.10.8`), if it tells. */
export function majorVersionOf(serverProperties: { readonly version?: unknown }): number | undefined {
  const major = typeof serverProperties.version === 'string' ? /^(\d+)\./.exec(serverProperties.version)?.[1] : undefined;
  return major === undefined ? undefined : Number(major);
}

interface Inequivalence {
  readonly argument: string;
  /** The queue's value; undefined for "current is none". */
  readonly current: string | undefined;
  /** Its AMQP type, when the broker names one ("of type 'short'"). */
  readonly currentType: string | undefined;
}

/** "inequivalent arg 'A' for queue ...: received ... but current is the value 'V' of type 'T'" (or "current is 'V'", "current is none"). */
function inequivalence(message: string): Inequivalence | undefined {
  const match =
    /inequivalent arg '([^']+)' for queue .* but current is (?:none|(?:the value )?'([^']*)'(?: of type '([^']+)')?)"?\s*$/.exec(message);
  if (match === null) return undefined;
  const [, argument = '', current, currentType] = match;
  return { argument, current, currentType };
}

/** The queue's value, to send back: RabbitMQ compares integers by value across their sizes. */
function amqpValue(text: string | undefined, type: string | undefined): unknown {
  if (text === undefined) return undefined;
  if (type === 'longstr') return text;
  if (type === 'bool') return text === 'true';
  if (type !== undefined && /^(byte|short|signedint|long|unsignedbyte|unsignedshort|unsignedint|double|float)$/.test(type)) {
    const value = Number(text);
    return Number.isFinite(value) ? value : undefined;
  }
  return undefined;
}

function unknown(why: string): Omit<QueueReadProfile, 'brokerMajor'> {
  return { type: 'unknown', deliveryLimit: { kind: 'unknown', why } };
}

function refusal(error: unknown, queue: string): unknown {
  if (replyCodeOf(error) === 404) return missingQueue(queue);
  if (replyCodeOf(error) === 405)
    return new ConfigError(ErrorCode.INVALID_ARGUMENT, `Queue "${queue}" is exclusive to another connection (RESOURCE_LOCKED)`);
  return error;
}
