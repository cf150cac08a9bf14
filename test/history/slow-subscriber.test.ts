/**
 * Backpressure of `replay$` on memory://: a slow subscriber over a long
 * history. The same measure runs on RabbitMQ in test/broker/history.test.ts.
 */
import { expect, it } from 'vitest';
import { uniqueName } from '../support/bus.js';
import { historyBus, publishPadded, retainedBytes, slowReplay } from '../support/history.js';

it('replay$ - a slow subscriber over 20,000 events: the replay holds a prefetch of them, not the history', async () => {
  const bus = await historyBus({ url: `memory://${uniqueName('slow')}` });
  const empty = retainedBytes();
  await publishPadded(bus, 20_000, 1_000);
  const history = retainedBytes() - empty;

  const replay = await slowReplay(bus);

  expect(replay).toMatchObject({ seen: 20_000, inOrder: true });
  // The log itself holds ~20 MB here; reading it must not take a tenth of that again.
  expect(history).toBeGreaterThan(20_000 * 1_000);
  expect(replay.peakBytes).toBeLessThan(history / 10);
}, 60_000);
