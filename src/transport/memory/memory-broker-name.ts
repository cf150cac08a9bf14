/**
 * The broker name of a `memory://NAME` URL (its host, percent-decoded), or
 * `undefined` when the URL is not one. Callers word the error: the fix
 * depends on where the URL came from.
 */
export function memoryBrokerName(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'memory:') return undefined;
    const host = decodeURIComponent(parsed.host);
    return host === '' ? undefined : host;
  } catch {
    return undefined;
  }
}
