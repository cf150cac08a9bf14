/** SASL PLAIN credentials whose secret lives in a closure: `util.inspect` and `JSON.stringify` cannot reach it. */
export interface PlainCredentials {
  readonly mechanism: 'PLAIN';
  response(): Buffer;
}

/**
 * Splits the user and password out of an AMQP URL: the URL without its
 * password (safe to hand to amqp-connection-manager, which keeps it for every
 * reconnect) and the credentials amqplib sends at login (its `credentials`
 * socket option, which it then prefers to the URL's). As amqplib, a URL with
 * neither user nor password logs in as guest/guest. Unlike amqplib (which uses
 * `unescape`), a percent-encoded non-ASCII password is decoded as UTF-8.
 */
export function splitCredentials(url: string): { readonly url: string; readonly credentials: PlainCredentials | undefined } {
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
  return {
    url: parsed.toString(),
    credentials: { mechanism: 'PLAIN', response: () => Buffer.from(`\u0000${user}\u0000${password}`, 'utf8') },
  };
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
 * or undefined for a URL that cannot be read.
 */
export function loginUserOf(url: string): string | undefined {
  try {
    const { username, password } = new URL(url);
    return username === '' && password === '' ? 'guest' : decode(username);
  } catch {
    return undefined;
  }
}
