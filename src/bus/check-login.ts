import { ConfigError, ErrorCode } from '../errors.js';
import { AUTH_MECHANISM_PARAMETER, authMechanismOf } from '../transport/amqp/url-credentials.js';
import type { TlsOptions } from '../transport/tls-options.js';

/**
 * Checks how the URLs log in: `?auth_mechanism=` names `plain` (the default)
 * or `external`, and EXTERNAL (the user taken from the client certificate) is
 * asked for over `amqps://` with a client certificate in `tls`. RabbitMQ would
 * refuse the login otherwise, once per reconnect.
 *
 * @throws {ConfigError} `INVALID_OPTIONS`, naming the fix.
 */
export function checkLogin(urls: readonly string[], tls: TlsOptions | undefined): void {
  for (const url of urls) {
    if (url.startsWith('memory://')) continue;
    const mechanism = authMechanismOf(url);
    if (mechanism !== 'plain' && mechanism !== 'external') {
      fail(
        'url',
        `asks for ${AUTH_MECHANISM_PARAMETER}=${mechanism}: use plain (user and password in the URL) or external (a client certificate)`,
      );
    }
    if (mechanism !== 'external') continue;
    if (!url.startsWith('amqps://')) fail('url', `asks for ${AUTH_MECHANISM_PARAMETER}=external, which needs TLS: use amqps://`);
    if (tls?.pfx === undefined && (tls?.cert === undefined || tls.key === undefined)) {
      fail('tls', `needs a client certificate for ${AUTH_MECHANISM_PARAMETER}=external: give tls.cert and tls.key (or tls.pfx)`);
    }
  }
}

function fail(option: string, problem: string): never {
  throw new ConfigError(ErrorCode.INVALID_OPTIONS, `EventBus option ${option} ${problem}`);
}
