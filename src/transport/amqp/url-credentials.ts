import { createSecureContext, TLSSocket } from 'node:tls';
import type { TlsOptions } from '../tls-options.js';

/**
 * SASL credentials as amqplib takes them (its `credentials` socket option). For
 * PLAIN the secret lives in a closure: `util.inspect` and `JSON.stringify`
 * cannot reach it. EXTERNAL sends nothing: the broker takes the user from the
 * client certificate.
 */
export interface SaslCredentials {
  readonly mechanism: 'PLAIN' | 'EXTERNAL';
  response(): Buffer;
}

/** The URL query parameter that selects the login mechanism (as in RabbitMQ's URI spec): `?auth_mechanism=external`. */
export const AUTH_MECHANISM_PARAMETER = 'auth_mechanism';

/** The mechanism an AMQP URL asks for: `external`, `plain` (the default), or what else it names, lower-cased. */
export function authMechanismOf(url: string): string {
  try {
    return (new URL(url).searchParams.get(AUTH_MECHANISM_PARAMETER) ?? 'plain').toLowerCase();
  } catch {
    return 'plain';
  }
}

/**
 * Splits the user and password out of an AMQP URL: the URL without its
 * password (safe to hand to amqp-connection-manager, which keeps it for every
 * reconnect) and the credentials amqplib sends at login (its `credentials`
 * socket option, which it then prefers to the URL's). As amqplib, a URL with
 * neither user nor password logs in as guest/guest. Unlike amqplib (which uses
 * `unescape`), a percent-encoded non-ASCII password is decoded as UTF-8.
 * With `?auth_mechanism=external` the login is EXTERNAL: no password is sent.
 */
export function splitCredentials(url: string): { readonly url: string; readonly credentials: SaslCredentials | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, credentials: undefined }; // amqplib reports it
  }
  const anonymous = parsed.username === '' && parsed.password === '';
  const user = anonymous ? 'guest' : decode(parsed.username);
  const password = anonymous ? 'guest' : decode(parsed.password);
  parsed.password = '';
  const credentials: SaslCredentials =
    authMechanismOf(url) === 'external'
      ? { mechanism: 'EXTERNAL', response: () => Buffer.alloc(0) }
      : { mechanism: 'PLAIN', response: () => Buffer.from(`\u0000${user}\u0000${password}`, 'utf8') };
  return { url: parsed.toString(), credentials };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a lone '%' in the password: take it as it is
  }
}

/**
 * The user an AMQP URL logs in as (as amqplib: guest when the URL names none),
 * or undefined for a URL that cannot be read. Over EXTERNAL: the URL's user
 * when it names one, else the client certificate's CN (RabbitMQ's
 * `ssl_cert_login_from = common_name`; with the default, the distinguished
 * name, give that as the URL's user).
 */
export function loginUserOf(url: string, tls?: TlsOptions): string | undefined {
  try {
    const { username, password } = new URL(url);
    if (authMechanismOf(url) === 'external') return username === '' ? certificateCommonName(tls) : decode(username);
    return username === '' && password === '' ? 'guest' : decode(username);
  } catch {
    return undefined;
  }
}

/** The CN of the client certificate in `tls` (`cert` or `pfx`), or undefined. */
function certificateCommonName(tls: TlsOptions | undefined): string | undefined {
  if (tls === undefined || (tls.cert === undefined && tls.pfx === undefined)) return undefined;
  try {
    // Node reads a PKCS#12 file only into a secure context; a TLSSocket on none gives its certificate back.
    const { cert, key, pfx, passphrase } = tls;
    const socket = new TLSSocket(null as never, { secureContext: createSecureContext({ cert, key, pfx, passphrase }) });
    const subject = socket.getCertificate() as { subject?: { CN?: unknown } } | null;
    socket.destroy();
    const cn = subject?.subject?.CN;
    return typeof cn === 'string' ? cn : undefined;
  } catch {
    return undefined; // the connect reports an unreadable certificate
  }
}
