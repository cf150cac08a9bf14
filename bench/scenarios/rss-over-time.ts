import { createEvent, EventBus } from 'rx-pubsub-amqp';
import { ACTION, benchData, DOMAIN } from '../lib/bench-event.js';
import type { Job, Measured } from '../lib/job.js';
import { peakRssMb, sampleRss, startTimer } from '../lib/measure.js';
import { sleep } from '../lib/window.js';

/**
 * Scenario 5, RSS over time: a slow handler (`handlerMs` each) and a publisher
 * in the same process that goes as fast as it may; RSS is sampled every
 * second until `count` deliveries are handled. On RabbitMQ the publisher only
 * waits for confirms (window `window`), so the backlog piles up in the
 * broker; on memory:// the backlog would live in this process, so there the
 * publisher stays at most `backlog` events ahead of the handler. Either way
 * the bus holds at most `prefetch` deliveries, and RSS should stay flat.
 */
export async function rssOverTime(job: Job): Promise<Measured> {
  const memory = job.url.startsWith('memory:');
  const bus = await EventBus.connect({ url: job.url, exchange: job.exchange, queue: job.queue, prefetch: job.prefetch });
  let handled = 0;
  let failure: unknown;
  const done = new Promise<void>((resolve) => {
    bus.settlements$.subscribe((settlement) => {
      if (settlement.outcome.kind !== 'ack') failure ??= new Error(`settled with ${settlement.outcome.kind}`);
      if (++handled === job.count) resolve();
      if (memory && handled % 100 === 0) pump();
    });
  });
  bus.handle('bench.created', () => sleep(job.handlerMs));
  await bus.ready();

  const stopSampling = sampleRss(1_000);
  const stop = startTimer();
  const ahead = memory ? job.backlog : Number.POSITIVE_INFINITY;
  let published = 0;
  let confirmed = 0;
  function pump(): void {
    while (published < job.count && published - confirmed < job.window && published - handled < ahead) {
      bus.publish(createEvent({ domain: DOMAIN, action: ACTION, data: benchData(published++) })).then(
        () => {
          confirmed++;
          pump();
        },
        (error: unknown) => (failure ??= error),
      );
    }
  }
  pump();
  await done;
  const measured = stop(job.count);
  const samples = stopSampling();
  if (failure) throw failure;
  const result = {
    ...measured,
    peakRssMb: peakRssMb(),
    rssSamplesMb: samples.map((mb) => Math.round(mb * 10) / 10),
    note: `handler ${job.handlerMs} ms, prefetch ${job.prefetch}${memory ? `, publisher at most ${job.backlog} ahead` : `, publisher window ${job.window}`}`,
  };
  return { result, close: () => bus.close() };
}
