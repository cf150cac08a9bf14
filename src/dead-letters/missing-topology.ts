import { ConfigError, ErrorCode, show } from '../errors.js';

/** What the dead-letter operations throw for a queue or exchange that is not there: worded the same on every broker. */

export function missingQueue(queue: string): ConfigError {
  return new ConfigError(
    ErrorCode.INVALID_ARGUMENT,
    `Queue ${show(queue)} does not exist (NOT_FOUND): check the queue name (a service queue "Q" has its dead letters in "Q.dlq", declared when the service first connects)`,
  );
}

export function missingExchange(exchange: string): ConfigError {
  return new ConfigError(
    ErrorCode.INVALID_ARGUMENT,
    `Exchange ${show(exchange)} does not exist (NOT_FOUND): give the exchange the services publish to (the bus's \`exchange\` option, 'events' by default)`,
  );
}
