/* eslint-disable @typescript-eslint/no-unnecessary-condition -- this file validates options from untyped (JavaScript) callers:
   the checks the types call impossible are its job. */
import { ConfigError, ErrorCode, show } from '../errors.js';
import { type QueueType, refusedArgumentOf } from '../transport/queue-arguments.js';
import type { QueueOptions } from './options.js';

const DEFAULTS = { durable: true, exclusive: false, autoDelete: false, arguments: {}, singleActiveConsumer: false } as const;
const KNOWN = ['durable', 'exclusive', 'autoDelete', 'arguments', 'type', 'singleActiveConsumer'];
/** Set through options of their own, so that the bus knows what it declared. */
const OWN_OPTION: Readonly<Record<string, string>> = { 'x-queue-type': 'type', 'x-single-active-consumer': 'singleActiveConsumer' };

/**
 * Validates `queueOptions` once and applies its defaults. The type is quorum
 * unless given, or unless the flags make a temporary queue (exclusive,
 * auto-delete or not durable), which a quorum queue cannot be: then classic,
 * as RabbitMQ's own default queue type falls back. `maxRedeliveries` is the
 * bus option as given (checked on its own): a broker `x-delivery-limit` must
 * leave the bus the first word on poison messages.
 *
 * @throws {ConfigError} `INVALID_OPTIONS`, naming the option and the fix.
 */
export function resolveQueueOptions(value: QueueOptions | undefined, maxRedeliveries: unknown): Required<QueueOptions> {
  const given = value ?? {};
  if (typeof given !== 'object' || given === null) fail('queueOptions', 'must be an object');
  for (const key of Object.keys(given)) {
    if (!KNOWN.includes(key)) fail(`queueOptions.${key}`, `is not a queue option; use ${KNOWN.join(', ')}`);
  }
  const flags = { ...DEFAULTS, ...given };
  for (const key of ['durable', 'exclusive', 'autoDelete', 'singleActiveConsumer'] as const) {
    if (typeof flags[key] !== 'boolean') fail(`queueOptions.${key}`, 'must be true or false');
  }
  const temporary = !flags.durable || flags.exclusive || flags.autoDelete;
  const type = given.type ?? (temporary ? 'classic' : 'quorum');
  if (type !== 'classic' && type !== 'quorum') fail('queueOptions.type', `must be 'classic' or 'quorum' (got ${show(type)})`);
  if (type === 'quorum' && temporary) fail('queueOptions.type', "'quorum' needs durable: true, exclusive: false and autoDelete: false");
  if (flags.singleActiveConsumer && flags.exclusive) {
    fail('queueOptions.singleActiveConsumer', 'cannot go with exclusive: true: no other connection could use the queue to take over');
  }
  const args: unknown = flags.arguments;
  if (typeof args !== 'object' || args === null || Array.isArray(args)) fail('queueOptions.arguments', 'must be an object of x- arguments');
  checkArguments(type, args as Record<string, unknown>, maxRedeliveries);
  return { ...flags, type };
}

/** What RabbitMQ would refuse at declaration, or would silently weaken, said before connecting. */
function checkArguments(type: QueueType, args: Readonly<Record<string, unknown>>, maxRedeliveries: unknown): void {
  const own = Object.keys(args).find((key) => Object.hasOwn(OWN_OPTION, key));
  if (own !== undefined) fail(`queueOptions.arguments['${own}']`, `is set by queueOptions.${OWN_OPTION[own]}: use that instead`);
  const refused = refusedArgumentOf(type, args);
  if (refused !== undefined) {
    const fix =
      type === 'quorum' ? "set queueOptions.type: 'classic' to use it, or leave it out" : 'it is for quorum queues (durable, shared)';
    fail(`queueOptions.arguments['${refused}']`, `is refused by RabbitMQ on a ${type} queue: ${fix}`);
  }
  const limit = args['x-delivery-limit'];
  if (
    limit !== undefined &&
    Number.isSafeInteger(maxRedeliveries) &&
    !(Number.isSafeInteger(limit) && (limit as number) > (maxRedeliveries as number))
  ) {
    fail(
      "queueOptions.arguments['x-delivery-limit']",
      `must be an integer above maxRedeliveries (${String(maxRedeliveries)}; got ${show(limit)}): at or below it the broker dead-letters a poison message before the bus does, without the reason header`,
    );
  }
  if (args['x-dead-letter-strategy'] === 'at-least-once' && args['x-overflow'] !== 'reject-publish') {
    fail(
      "queueOptions.arguments['x-dead-letter-strategy']",
      "'at-least-once' needs 'x-overflow': 'reject-publish' (without it RabbitMQ falls back to at-most-once, silently)",
    );
  }
}

function fail(option: string, problem: string): never {
  throw new ConfigError(ErrorCode.INVALID_OPTIONS, `EventBus option ${option} ${problem}`);
}
