import { createEvent, EventBus, silentLogger } from 'rx-pubsub-amqp';
import { MemoryTransport } from 'rx-pubsub-amqp/blocks';
import { ACTION, benchData, benchEvent, DOMAIN, ROUTING_KEY } from '../lib/bench-event.js';
import type { Job, Measured } from '../lib/job.js';
import { peakRssMb, startTimer } from '../lib/measure.js';

/**
 * Scenario 4, the in-memory transport: `count` events wait in the bus's queue,
 * put there untimed (`job.prefill`: by the bus itself, as an application on
 * memory:// publishes, or as JSON bodies by a second memory transport on the
 * same broker, which the bus must parse). Then `patterns.length` handlers are
 * registered, all but one on patterns that never match (`d0.*`, `d1.*`, ...),
 * and the clock runs until every delivery is routed, handled and acked. Peak
 * RSS includes the backlog, which lives in this process.
 */
export async function memoryRouting(job: Job): Promise<Measured> {
  const bus = await EventBus.connect({ url: job.url, exchange: job.exchange, queue: job.queue, prefetch: job.prefetch });
  if (job.prefill === 'bus') await prefillByBus(bus, job);
  else await prefillWithJson(job);

  let acked = 0;
  const done = new Promise<void>((resolve, reject) => {
    bus.settlements$.subscribe((settlement) => {
      if (settlement.outcome.kind !== 'ack') reject(new Error(`settled with ${settlement.outcome.kind}`));
      if (++acked === job.count) resolve();
    });
  });
  for (const pattern of job.patterns) bus.handle(pattern, () => undefined);
  // Registration is synchronous and deliveries are dispatched on a later turn, so the clock starts here.
  const stop = startTimer();
  await done;
  const measured = stop(job.count);
  return { result: { ...measured, peakRssMb: peakRssMb() }, close: () => bus.close() };
}

// The queue is bound by hand: the bus binds it only when its handlers are registered, after the prefill.
async function bindQueue(job: Job): Promise<MemoryTransport> {
  const transport = new MemoryTransport({ url: job.url, logger: silentLogger });
  await transport.connect(job.exchange);
  transport.broker.bind(job.exchange, job.queue, ROUTING_KEY);
  return transport;
}

async function prefillByBus(bus: EventBus, job: Job): Promise<void> {
  await (await bindQueue(job)).close();
  const confirms: Promise<void>[] = [];
  for (let seq = 0; seq < job.count; seq++) confirms.push(bus.publish(createEvent({ domain: DOMAIN, action: ACTION, data: benchData(seq) })));
  await Promise.all(confirms);
}

async function prefillWithJson(job: Job): Promise<void> {
  const transport = await bindQueue(job);
  for (let seq = 0; seq < job.count; seq++) {
    const event = benchEvent(seq);
    await transport.publish({
      exchange: job.exchange,
      routingKey: ROUTING_KEY,
      body: Buffer.from(JSON.stringify(event)),
      properties: { contentType: 'application/json', deliveryMode: 2, messageId: event.id, type: ROUTING_KEY },
      timeoutMs: 30_000,
    });
  }
  await transport.close();
}
