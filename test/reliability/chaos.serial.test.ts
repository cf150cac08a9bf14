import { expect, it } from 'vitest';
import { formatReport, problems, runChaos } from '../../chaos/chaos.js';
import { amqpUrl } from '../support/broker.js';

// Serial: the run cuts every connection on the broker (close_all_connections).
// The full scenario (20,000 events, 20 cuts, a broker restart) is `npm run chaos`.

it('chaos - every confirmed event reaches both services through two connection cuts', async () => {
  const report = await runChaos({
    url: amqpUrl(),
    events: 3_000,
    ratePerSecond: 500,
    cuts: 2,
    restart: false,
    warmupMs: 1_000,
    drainTimeoutMs: 30_000,
  });
  const table = formatReport(report);

  expect(report.faults.map((f) => f.fault.kind), table).toEqual(['cut', 'cut']);
  expect(report.confirmed, table).toBeGreaterThan(0);
  expect(problems(report), table).toEqual([]);
  expect(report.services.map((s) => s.lost), table).toEqual([0, 0]);
  expect(report.drained, table).toBe(true);
  for (const service of report.services) expect(service.handledUnique, table).toBeGreaterThanOrEqual(report.confirmed);
}, 60_000);
