/**
 * `amqp://user:secret@host/vhost` → `amqp://user:***@host/vhost`: credentials
 * never reach logs or errors. The user info ends at the last `@`, as in WHATWG
 * URL parsing, and a password with an unescaped `/` or `@` is hidden whole.
 */
export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0];
  if (scheme === undefined) return url;
  const at = url.lastIndexOf('@');
  if (at < scheme.length) return url;
  const userInfo = url.slice(scheme.length, at);
  const colon = userInfo.indexOf(':');
  return colon === -1 ? url : `${scheme}${userInfo.slice(0, colon)}:***${url.slice(at)}`;
}

/**
 * Any text (an error message from amqplib or Node, a log line) with the
 * password of every URL in it replaced by `***`: `scheme://user:pass@` becomes
 * `scheme://user:***@`. The password runs to the last `@` before the next
 * whitespace or quote, so a password holding `@` or `:` is hidden whole.
 */
export function redactText(text: string): string {
  return text.includes('://') ? text.replace(CREDENTIALS, '$1:***@') : text;
}

// Every part bounded, so the scan stays linear on hostile text (300 KB of one
// word took 40 s with unbounded ones); a password over 1,024 characters is
// not recognised as one.
const CREDENTIALS = /([a-z][a-z0-9+.-]{0,31}:\/\/[^\s:@/'"`]{0,256}):[^\s'"`]{0,1024}@/gi;
