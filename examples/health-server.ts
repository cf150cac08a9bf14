/**
 * Kubernetes probes for a service on rx-pubsub, served from `bus.health()` by node:http (no framework):
 *
 * - `GET /healthz`, liveness: "restart me". 200 while the bus connects, works, or waits for the
 *   broker; 503 only when the bus is closed while the service is not shutting down, which a restart
 *   does fix. A broker outage, a queue re-declared with other arguments, a memory alarm are NOT
 *   liveness failures: a new pod meets the same broker, and restarting every pod at once during an
 *   outage only adds a reconnect storm when it ends. The bus reconnects by itself.
 * - `GET /readyz`, readiness: "send me traffic". 200 while `up` or `degraded` (the bus rides out a
 *   short outage by itself within `healthGracePeriodMs`: publishes wait, then go out); 503 when
 *   `down`, before the bus is connected, and once shutdown began. The pod leaves the Service's
 *   endpoints until it is ready again; nothing is restarted.
 *
 * Both answer with the health as JSON (`{ "status": "starting" }` before the bus is connected).
 *
 *   npx tsx examples/health-server.ts                                   # in-process broker, port 8080
 *   AMQP_URL=amqp://guest:guest@localhost:5672 PORT=8080 npx tsx examples/health-server.ts
 *   curl -i localhost:8080/readyz
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BusHealth, EventBus } from '../src/index.js';
import { isEntryPoint, runAsScript } from './support.js';

/** What a probe answers: an HTTP status code and a JSON body. */
export interface ProbeAnswer {
  readonly code: 200 | 503 | 404;
  readonly body: object;
}

/**
 * The answer to `path` given the bus's health (`undefined` while it connects) and whether the
 * service is shutting down. Pure: the policy above, in one place.
 */
export function probe(path: string, health: BusHealth | undefined, shuttingDown: boolean): ProbeAnswer {
  const body = health ?? { status: 'starting' };
  if (path === '/healthz') {
    const closedUnasked = health?.connection.status === 'closed' && !shuttingDown;
    return { code: closedUnasked ? 503 : 200, body };
  }
  if (path === '/readyz') {
    const ready = health !== undefined && health.status !== 'down' && !shuttingDown;
    return { code: ready ? 200 : 503, body };
  }
  return { code: 404, body: { error: 'not found: try /healthz or /readyz' } };
}

export interface HealthServerOptions {
  /** @default process.env.AMQP_URL ?? 'memory://health-demo' */
  readonly url?: string | undefined;
  /** @default 'health-demo' */
  readonly queue?: string | undefined;
  /** 0 picks a free port. @default Number(process.env.PORT ?? 8080) */
  readonly port?: number | undefined;
  /** @default 30000 (the bus's default) */
  readonly healthGracePeriodMs?: number | undefined;
  /** @default console.log */
  readonly log?: ((line: string) => void) | undefined;
}

/** A running health server and the bus it reports on. */
export interface HealthServer {
  /** `http://127.0.0.1:PORT` */
  readonly address: string;
  readonly bus: EventBus;
  /** Readiness says 503 at once, then the bus closes (draining in-flight work), then the server. */
  close(): Promise<void>;
}

/**
 * Listens first, so that liveness answers while the bus connects (readiness says 503 meanwhile),
 * then connects the bus and consumes `order.*`.
 */
export async function start(options: HealthServerOptions = {}): Promise<HealthServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  let bus: EventBus | undefined;
  let shuttingDown = false;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const { code, body } = probe(new URL(request.url ?? '/', 'http://localhost').pathname, bus?.health(), shuttingDown);
    response.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  });
  server.listen(options.port ?? Number(process.env.PORT ?? 8080), '127.0.0.1');
  await once(server, 'listening');
  const address = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  log(`listening on ${address} (/healthz: liveness, /readyz: readiness)`);
  const closeServer = async (): Promise<void> => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  };
  try {
    bus = await EventBus.connect({
      url: options.url ?? process.env.AMQP_URL ?? 'memory://health-demo',
      queue: options.queue ?? 'health-demo',
      ...(options.healthGracePeriodMs === undefined ? {} : { healthGracePeriodMs: options.healthGracePeriodMs }),
    });
  } catch (error) {
    await closeServer();
    throw error;
  }
  bus.health$.subscribe((health) => log(`health: ${health.status}${health.reason === undefined ? '' : ` (${health.reason})`}`));
  bus.handle('order.*', () => undefined);
  await bus.ready();
  const connected = bus;
  return {
    address,
    bus: connected,
    close: async () => {
      shuttingDown = true;
      await connected.close({ timeoutMs: 10_000 });
      await closeServer();
    },
  };
}

if (isEntryPoint(import.meta.url)) {
  runAsScript(async (signal) => {
    const server = await start();
    if (!signal.aborted) await once(signal, 'abort');
    await server.close();
  });
}
