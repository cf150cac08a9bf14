import { ConnectionError, ErrorCode, show } from '../../errors.js';
import { maxAgeMs } from '../history-topology.js';
import type { QueueDeclaration } from '../queue-topology.js';

/**
 * Refuses what RabbitMQ refuses at declaration (PRECONDITION_FAILED): a
 * quorum queue or stream that is not durable, or is exclusive or auto-delete; an
 * unknown queue type; a TTL that is not a whole number of milliseconds; a
 * stream's `x-max-age` not in RabbitMQ's format.
 *
 * @throws {ConnectionError} `TOPOLOGY_FAILED`, saying what to change.
 */
export function checkDeclaration(name: string, declaration: QueueDeclaration): void {
  const type = declaration.arguments['x-queue-type'];
  const ttl = declaration.arguments['x-message-ttl'];
  const maxAge = declaration.arguments['x-max-age'];
  let problem: string | undefined;
  if (type !== undefined && type !== 'classic' && type !== 'quorum' && type !== 'stream') {
    problem = `x-queue-type ${show(type)} is not supported here: use 'classic', 'quorum' or 'stream'`;
  } else if ((type === 'quorum' || type === 'stream') && (!declaration.durable || declaration.exclusive || declaration.autoDelete)) {
    const property = !declaration.durable ? 'non-durable' : declaration.exclusive ? 'exclusive' : 'auto-delete';
    problem = `invalid property '${property}' for a ${type} queue: ${type} queues must be durable, not exclusive and not auto-delete`;
  } else if (ttl !== undefined && !(Number.isSafeInteger(ttl) && (ttl as number) >= 0)) {
    problem = `invalid x-message-ttl ${show(ttl)}: use a whole number of milliseconds, 0 or more`;
  } else if (type === 'stream' && maxAge !== undefined && (typeof maxAge !== 'string' || maxAgeMs(maxAge) === undefined)) {
    problem = `invalid x-max-age ${show(maxAge)}: use a number and a unit, such as '7D' (units Y, M, D, h, m, s)`;
  }
  if (problem !== undefined)
    throw new ConnectionError(ErrorCode.TOPOLOGY_FAILED, `Cannot declare queue "${name}": ${problem} (PRECONDITION_FAILED)`);
}

/** The fields in which a re-declaration differs from the declaration in force. */
export function differencesOf(existing: QueueDeclaration, declared: QueueDeclaration): string[] {
  const fields = (['durable', 'exclusive', 'autoDelete'] as const).filter((field) => existing[field] !== declared[field]);
  return sameValue(existing.arguments, declared.arguments) ? fields : [...fields, 'arguments'];
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
