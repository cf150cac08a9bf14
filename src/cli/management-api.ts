import { ConnectionError, ErrorCode, messageOf } from '../errors.js';
import { redactText } from '../redact-url.js';
import { usage } from './usage-error.js';

/** One binding of a queue, as the management API lists it. */
export interface QueueBinding {
  readonly exchange: string;
  readonly queue: string;
  readonly routingKey: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  /** The management API's name of the binding (key and arguments), for deleting it. */
  readonly propertiesKey: string;
}

/** The part of RabbitMQ's management HTTP API the CLI uses. */
export interface ManagementApi {
  /** The queue's bindings, the default exchange's implicit one left out. @throws {ConnectionError} `TOPOLOGY_FAILED` for a missing queue. */
  bindings(queue: string): Promise<QueueBinding[]>;
  /** Removes one binding; one already gone is fine. */
  unbind(binding: QueueBinding): Promise<void>;
}

interface Login {
  readonly user: string;
  /** In a closure: `util.inspect` of the API object cannot show it. */
  readonly header: () => string;
}

/**
 * A client of the management API at `managementUrl` (the plugin
 * `rabbitmq_management`, port 15672), for the vhost of `amqpUrl`. It logs in
 * with the management URL's user and password when it has them, else with
 * those of `amqpUrl` (as amqplib, guest/guest when it names none). Neither
 * URL's password ever appears in a message.
 *
 * @throws {UsageError} for a management URL that is not http(s).
 */
export function managementApi(managementUrl: string, amqpUrl: string, timeoutMs: number): ManagementApi {
  const base = parseBase(managementUrl);
  const login = loginOf(base.username === '' && base.password === '' ? new URL(amqpUrl) : base);
  base.username = '';
  base.password = '';
  const root = `${base.origin}${base.pathname.replace(/\/$/, '')}/api`;
  const vhost = encodeURIComponent(vhostOf(amqpUrl));
  const call = (method: string, path: string) => request(method, `${root}${path}`, login, timeoutMs, `${base.origin}${base.pathname}`);
  return {
    bindings: async (queue) => {
      // The bindings of a missing queue are an empty list: ask for the queue first.
      const path = `/queues/${vhost}/${encodeURIComponent(queue)}`;
      const rows = (await call('GET', path)) === NOT_FOUND ? NOT_FOUND : await call('GET', `${path}/bindings`);
      if (rows === NOT_FOUND) {
        throw new ConnectionError(
          ErrorCode.TOPOLOGY_FAILED,
          `the queue ${queue} does not exist in vhost ${vhostOf(amqpUrl)}: check --queue (and the vhost in --url)`,
        );
      }
      return (Array.isArray(rows) ? rows : []).map(bindingOf).filter((binding) => binding.exchange !== '');
    },
    unbind: async (binding) => {
      const path = `/bindings/${vhost}/e/${encodeURIComponent(binding.exchange)}/q/${encodeURIComponent(binding.queue)}/${encodeURIComponent(binding.propertiesKey)}`;
      await call('DELETE', path);
    },
  };
}

const NOT_FOUND = Symbol('404');

async function request(method: string, url: string, login: Login, timeoutMs: number, shown: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { method, headers: { authorization: login.header() }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new ConnectionError(
      ErrorCode.CONNECTION_FAILED,
      `cannot reach the RabbitMQ management API at ${shown} (${redactText(messageOf(rootCause(error)))}): ` +
        'enable it with `rabbitmq-plugins enable rabbitmq_management`, or give its address with --management-url',
      { cause: error },
    );
  }
  if (response.status === 404) return NOT_FOUND;
  if (response.status === 401) {
    throw new ConnectionError(
      ErrorCode.CONNECTION_FAILED,
      `the management API at ${shown} refused the login of ${login.user}: give a management user and password in --management-url (as its user info, before the host)`,
    );
  }
  const text = await response.text();
  if (!response.ok)
    throw new ConnectionError(
      ErrorCode.TOPOLOGY_FAILED,
      `the management API answered ${method} with ${response.status}: ${text.slice(0, 200)}`,
    );
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

/** fetch rejects with `TypeError: fetch failed`; the reason (ECONNREFUSED, a timeout) is its cause. */
function rootCause(error: unknown): unknown {
  return error instanceof TypeError && error.cause !== undefined ? error.cause : error;
}

function parseBase(managementUrl: string): URL {
  try {
    const url = new URL(managementUrl);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // reported below
  }
  usage('--management-url must be an http:// or https:// URL, as http://localhost:15672');
}

function loginOf(url: URL): Login {
  const anonymous = url.username === '' && url.password === '';
  const user = anonymous ? 'guest' : decode(url.username);
  const password = anonymous ? 'guest' : decode(url.password);
  const token = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
  return { user, header: () => `Basic ${token}` };
}

/** The vhost an AMQP URL names: its path, decoded; `/` when it has none (as amqplib). */
function vhostOf(amqpUrl: string): string {
  const path = new URL(amqpUrl).pathname;
  return path === '' || path === '/' ? '/' : decode(path.slice(1));
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function bindingOf(row: unknown): QueueBinding {
  const record = (typeof row === 'object' && row !== null ? row : {}) as Record<string, unknown>;
  return {
    exchange: text(record.source),
    queue: text(record.destination),
    routingKey: text(record.routing_key),
    arguments: (typeof record.arguments === 'object' && record.arguments !== null ? record.arguments : {}) as Record<string, unknown>,
    propertiesKey: text(record.properties_key),
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
