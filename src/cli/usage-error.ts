import { InvalidArgumentError } from 'commander';
import { ConfigError, ErrorCode, isRxPubsubError, messageOf } from '../errors.js';
import { redactText } from '../redact-url.js';

/**
 * A command line that cannot work as given (a missing or malformed argument,
 * a pattern that does not compile): the CLI exits with 2, as for commander's
 * own usage errors. Every other failure exits with 1.
 */
export class UsageError extends ConfigError {
  override readonly name: string = 'UsageError';

  constructor(message: string, cause?: unknown) {
    super(ErrorCode.INVALID_ARGUMENT, message, cause === undefined ? {} : { cause });
  }
}

/** Throws a {@link UsageError}. */
export function usage(message: string): never {
  throw new UsageError(message);
}

/**
 * The result of reading an argument with the library (`compilePattern`,
 * `createEvent`), its ConfigError becoming a {@link UsageError} that names the
 * argument: what the library refuses on the command line is a usage error.
 */
export function fromArgument<T>(argument: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (isRxPubsubError(error) && error instanceof ConfigError) throw new UsageError(`${argument}: ${error.message}`, error);
    throw error;
  }
}

/**
 * A commander argument parser for a whole number (milliseconds, a count) from
 * `min` up: anything else is commander's usage error (exit 2) naming the option.
 */
export function wholeNumber(min: number, max = 2 ** 31 - 1): (text: string) => number {
  return (text) => {
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!(value >= min && value <= max)) throw new InvalidArgumentError(`Give a whole number from ${min} to ${max}.`);
    return value;
  };
}

/** The message of any error on one line, any URL's password hidden: what stderr shows. */
export function oneLine(error: unknown): string {
  return redactText(messageOf(error)).replace(/\s*\n\s*/g, ' ');
}
