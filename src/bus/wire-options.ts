import { ConfigError, ErrorCode, show } from '../errors.js';
import type { WireSettings } from '../transport/wire-properties.js';

/** The option names this file checks, for the bus's list of known options. */
export const WIRE_OPTION_NAMES = ['appId', 'contentEncoding'] as const;

/**
 * Checks the wire options once, at connect: `appId` an AMQP short string
 * (1 to 255 bytes of UTF-8, or the broker closes the channel), and
 * `contentEncoding` only `'utf-8'`, the one the body is in.
 *
 * @throws {ConfigError} `INVALID_OPTIONS`, naming the option and the fix.
 */
export function wireOptionsOf(options: { readonly appId?: unknown; readonly contentEncoding?: unknown }): WireSettings {
  const { appId, contentEncoding } = options;
  if (appId !== undefined && (typeof appId !== 'string' || appId.length === 0 || Buffer.byteLength(appId) > 255)) {
    fail('appId', `must be a non-empty string of at most 255 bytes (AMQP short string; got ${describe(appId)})`);
  }
  if (contentEncoding !== undefined && contentEncoding !== 'utf-8') {
    fail(
      'contentEncoding',
      `can only be 'utf-8', the encoding of the JSON body; leave it out to send no content-encoding (got ${show(contentEncoding)})`,
    );
  }
  return { appId, contentEncoding };
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `${Buffer.byteLength(value)} bytes` : show(value);
}

function fail(option: string, problem: string): never {
  throw new ConfigError(ErrorCode.INVALID_OPTIONS, `EventBus option ${option} ${problem}`);
}
