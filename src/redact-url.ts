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

// Bounded runs: unbounded ones made the regex quadratic (every letter of a long word was tried as a scheme's
// start, scanned to the word's end): a handler error of 300 KB blocked the event loop for ~45 s. No scheme is
// longer than 32 characters; a user or password of over 1 KiB is not looked for.
const CREDENTIALS = /([a-z][a-z0-9+.-]{0,31}:\/\/[^\s:@/'"`]{0,1024}):[^\s'"`]{0,1024}@/gi;
