/** `amqp://user:secret@host/vhost` → `amqp://user:***@host/vhost`: credentials never reach logs or errors. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^:@/]*)(:[^@/]*)?@/i, (_all, scheme: string, user: string, password?: string) =>
    `${scheme}${user}${password === undefined ? '' : ':***'}@`,
  );
}
