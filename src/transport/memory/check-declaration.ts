import { ConnectionError, ErrorCode, show } from '../../errors.js';
import { type QueueType, refusedArgumentOf } from '../queue-arguments.js';
import { maxAgeMs } from '../history-topology.js';
import type { QueueDeclaration } from '../queue-topology.js';
import { queueTypeFix } from '../queue-type-mismatch.js';

/**
 * Refuses what RabbitMQ refuses at declaration (PRECONDITION_FAILED): a
 * quorum queue or stream that is not durable, or is exclusive or auto-delete;
 * an unknown queue type; an argument its type refuses (`x-max-priority` on a
 * quorum queue, `x-delivery-limit` on a classic one); a TTL that is not a
 * whole number of milliseconds; a non-boolean `x-single-active-consumer`; an
 * unknown `x-dead-letter-strategy`; a stream's `x-max-age` not in RabbitMQ's format.
 *
 * @throws {ConnectionError} `TOPOLOGY_FAILED`, saying what to change.
 */
export function checkDeclaration(name: string, declaration: QueueDeclaration): void {
  const problem = problemOf(declaration);
  if (problem !== undefined)
    throw new ConnectionError(ErrorCode.TOPOLOGY_FAILED, `Cannot declare queue "${name}": ${problem} (PRECONDITION_FAILED)`);
}

function problemOf(declaration: QueueDeclaration): string | undefined {
  const args = declaration.arguments;
  const type = args['x-queue-type'] ?? 'classic';
  if (type !== 'classic' && type !== 'quorum' && type !== 'stream')
    return `x-queue-type ${show(type)} is not supported here: use 'classic', 'quorum' or 'stream'`;
  if (type !== 'classic' && (!declaration.durable || declaration.exclusive || declaration.autoDelete)) {
    const property = !declaration.durable ? 'non-durable' : declaration.exclusive ? 'exclusive' : 'auto-delete';
    return `invalid property '${property}' for a ${type} queue: ${type} queues must be durable, not exclusive and not auto-delete`;
  }
  if (type === 'stream') return streamProblemOf(args);
  const refused = refusedArgumentOf(type, args);
  if (refused !== undefined) return `invalid arg '${refused}' for a ${type} queue: RabbitMQ refuses it for this queue type`;
  const ttl = args['x-message-ttl'];
  if (ttl !== undefined && !(Number.isSafeInteger(ttl) && (ttl as number) >= 0))
    return `invalid x-message-ttl ${show(ttl)}: use a whole number of milliseconds, 0 or more`;
  const single = args['x-single-active-consumer'];
  if (single !== undefined && typeof single !== 'boolean') return `invalid x-single-active-consumer ${show(single)}: use true or false`;
  const strategy = args['x-dead-letter-strategy'];
  if (strategy !== undefined && strategy !== 'at-most-once' && strategy !== 'at-least-once')
    return `invalid x-dead-letter-strategy ${show(strategy)}: use 'at-most-once' or 'at-least-once'`;
  return undefined;
}

function streamProblemOf(args: Readonly<Record<string, unknown>>): string | undefined {
  const maxAge = args['x-max-age'];
  if (maxAge !== undefined && (typeof maxAge !== 'string' || maxAgeMs(maxAge) === undefined))
    return `invalid x-max-age ${show(maxAge)}: use a number and a unit, such as '7D' (units Y, M, D, h, m, s)`;
  return undefined;
}

/**
 * The `TOPOLOGY_FAILED` for a re-declaration of another queue type, or
 * undefined when the types agree (a queue declared without `x-queue-type` is
 * classic: RabbitMQ accepts `'classic'` for it).
 */
export function queueTypeConflict(name: string, existing: QueueDeclaration, declared: QueueDeclaration): ConnectionError | undefined {
  const [was, is] = [typeOf(existing), typeOf(declared)];
  if (was === is) return undefined;
  if (was === 'stream' || is === 'stream')
    return new ConnectionError(
      ErrorCode.TOPOLOGY_FAILED,
      `Cannot declare queue "${name}": inequivalent arg 'x-queue-type' (PRECONDITION_FAILED)`,
    );
  const fix = queueTypeFix({ queue: name, existing: was, declared: is });
  return new ConnectionError(
    ErrorCode.TOPOLOGY_FAILED,
    `Cannot declare queue "${name}": inequivalent arg 'x-queue-type' (PRECONDITION_FAILED) (${fix})`,
  );
}

function typeOf(declaration: QueueDeclaration): QueueType | 'stream' {
  const type = declaration.arguments['x-queue-type'];
  return type === 'quorum' || type === 'stream' ? type : 'classic';
}

/** The fields in which a re-declaration differs from the declaration in force. */
export function differencesOf(existing: QueueDeclaration, declared: QueueDeclaration): string[] {
  const fields = (['durable', 'exclusive', 'autoDelete'] as const).filter((field) => existing[field] !== declared[field]);
  return sameValue(typed(existing.arguments), typed(declared.arguments)) ? fields : [...fields, 'arguments'];
}

// `x-queue-type: 'classic'` and no x-queue-type are the same queue.
function typed(args: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  return args['x-queue-type'] === undefined ? { ...args, 'x-queue-type': 'classic' } : args;
}

// Queue arguments are JSON-like values; key order does not matter.
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return keys.length === Object.keys(right).length && keys.every((key) => Object.hasOwn(right, key) && sameValue(left[key], right[key]));
}
