import { messageOf } from '../../errors.js';

/**
 * Why a connect attempt can never succeed by waiting, with the fix, or
 * `undefined` when another attempt may (the broker is down, starting, far
 * away). amqp-connection-manager retries every failure until the connect
 * timeout; these end the connect at once, with their real reason.
 */
export function fatalConnectFailure(error: unknown): string | undefined {
  const message = messageOf(error);
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  // A socket's own failure (reset, refused, DNS) is the network's, whatever its text names ("... before secure TLS
  // connection was established", a host called rabbitmq-tls): the broker may be restarting, so waiting may help.
  if (typeof code === 'string' && /^(E[A-Z]+|EAI_[A-Z]+)$/.test(code)) return undefined;
  if (/mechanism EXTERNAL/.test(message)) {
    // "SASL mechanism EXTERNAL is not provided by the server" (amqplib), or ACCESS_REFUSED for EXTERNAL.
    return /not provided/.test(message)
      ? 'does not offer the EXTERNAL login: enable the rabbitmq_auth_mechanism_ssl plugin and EXTERNAL in auth_mechanisms'
      : 'refused the EXTERNAL login: the user named by the client certificate (its CN with ssl_cert_login_from = common_name) must exist and may use the vhost';
  }
  if (/ACCESS.REFUSED|\b403\b/.test(message)) return 'refused the login: check the user, password and vhost in the URL';
  // amqplib reports a connection.close answering connection.open (vhost missing or not allowed) without its text.
  if (/NOT.ALLOWED|\b530\b|Expected ConnectionOpenOk; got <ConnectionClose/.test(message)) {
    return 'refused to open the vhost: check that the vhost in the URL (its path, %2F for "/") exists and the user may use it';
  }
  if (/wrong version number|packet length too long|unknown protocol/i.test(message)) {
    return 'does not speak TLS on that port: use amqp:// for a plain port, or the TLS port (5671 by default) with amqps://';
  }
  if (/certificate required/i.test(message)) {
    return 'requires a client certificate (mutual TLS): give tls.cert and tls.key (or tls.pfx)';
  }
  if (/alert (unknown ca|bad certificate|certificate unknown|certificate expired)/i.test(message)) {
    return 'refused the client certificate: it must be signed by a CA the broker trusts (its ssl_options.cacertfile) and be valid';
  }
  if (
    (typeof code === 'string' && /^(ERR_SSL|ERR_TLS|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|HOSTNAME_MISMATCH)/.test(code)) ||
    /certificate|\bSSL\b|\bTLS\b/i.test(message)
  ) {
    return 'failed the TLS handshake: check the certificate (tls.ca for a private CA, the host name it was issued for)';
  }
  // amqplib refuses URL parameters it cannot encode (channelMax=abc, heartbeat=-1) before any I/O.
  if (error instanceof TypeError || error instanceof RangeError) return 'cannot be reached with this URL: fix its parameters';
  return undefined;
}

/** RabbitMQ's smallest frame_max; below it the broker closes the connection silently and the connect times out. */
const MIN_FRAME_MAX = 4_096;

/** What is wrong with the URL's connection parameters, or `undefined`. */
export function urlParameterProblem(url: string): string | undefined {
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return undefined; // the options check reported it already
  }
  const frameMax = params.get('frameMax');
  if (frameMax !== null && !(/^\d+$/.test(frameMax) && (Number(frameMax) === 0 || Number(frameMax) >= MIN_FRAME_MAX))) {
    return `frameMax=${frameMax} in the URL: use 0 (the broker's choice) or at least ${MIN_FRAME_MAX}`;
  }
  for (const name of ['channelMax', 'heartbeat']) {
    const value = params.get(name);
    if (value !== null && !(/^\d+$/.test(value) && Number(value) <= 65_535))
      return `${name}=${value} in the URL: use a whole number from 0 to 65535`;
  }
  return undefined;
}

/**
 * A failure's message without OpenSSL's decoration: `80FC...:error:0A00010B:SSL routines:ssl3_get_record:wrong
 * version number:../deps/openssl/...c:350:` reads "wrong version number"; an alert keeps its number.
 */
export function conciseReason(message: string): string {
  const openssl = /^[0-9A-F]+:error:[0-9A-F]+:SSL routines:[^:]*:([^:]+):.*?(SSL alert number \d+)?$/s.exec(message.trim());
  if (!openssl) return message;
  return openssl[2] === undefined ? (openssl[1] as string) : `${openssl[1] as string} (${openssl[2]})`;
}
